"""extract_signatures on a generated 100,000-parcel dataset against exactextract, one command:

    DATABASE_URL=postgis://... .venv/bin/python bench/timeseries_bulk.py \
        [--archive var/bench/bulk-archive] [--parcels 100000] [--write-doc]

The archive is the demo generator's, COG layout, over the same three tiles and datatakes
as the demo, but 3120 px a side with fields of about 1 ha (--field-scale 0.3) kept when
they lie inside any tile's data (--parcels-in any: as a national dataset, each scene
covers a part of it); built if missing (about 1.5 min a datatake on one core). The first
`--parcels` fields (numbered from the middle outwards) are imported as one dataset.

Timed on one core, each against the other in the same run:
  - `manage.py extract_signatures` in-process (no broker): the parcels' query, the
    statistics of every parcel on every band file of every scene, the upsert of every row
    and the scenes' marks;
  - exactextract over the same parcels (reprojected to each scene's CRS beforehand, not
    timed), band files and statistics; its calls only.
Then a sample of the stored rows is checked against rasterio + numpy on the band files.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import BENCH, setup_django  # noqa: E402

BANDS = ("B02", "B03", "B04", "B05", "B08", "B11", "SCL")
ARCHIVE_ARGS = ["--layout", "cog", "--size", "3120", "--field-scale", "0.3",
                "--parcels-in", "any", "--start", "2024-06-01", "--end", "2024-06-07"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "bulk-archive")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-bulk")
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="rows checked independently")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--check-only", action="store_true", help="the sample check alone")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        # The production store, and the COPY writer's; exactextract also crashes in a
        # process that has loaded mod_spatialite (docs/benchmarks-timeseries.md).
        raise SystemExit("set DATABASE_URL to a PostGIS bench database")
    args.work.mkdir(parents=True, exist_ok=True)
    setup_django(args.work.resolve())
    from django.db import connection

    load = [os.getloadavg()[0]]
    dataset = prepare(args)
    if args.check_only:
        print(f"largest difference in the sample: {check_sample(dataset, args.sample)}")
        return
    scenes = bulk_scenes(dataset)
    ours = run_extract(dataset)
    load.append(os.getloadavg()[0])
    print(f"extract_signatures: {ours}", flush=True)
    theirs = run_exactextract(dataset, scenes)
    load.append(os.getloadavg()[0])
    print(f"exactextract: {theirs}", flush=True)
    worst = check_sample(dataset, args.sample)
    print(f"largest difference in the sample: {worst}", flush=True)
    result = {"parcels": dataset.parcel_count, "scenes": len(scenes), **ours, **theirs,
              "worst": worst, "database": connection.vendor, "load": load}  # fmt: skip
    report = render(result)
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-bulk.md").write_text(report)


def prepare(args: argparse.Namespace) -> Any:
    """Migrate, build the archive if missing, import `--parcels` parcels, ingest the COGs."""
    import pyogrio.raw
    from django.core.management import call_command

    from chips.models import Scene
    from parcels.models import ParcelDataset

    call_command("migrate", verbosity=0)
    if not (args.archive / "demo.json").is_file():
        print(f"building the bulk archive in {args.archive} ...", flush=True)
        t = time.perf_counter()
        call_command("make_demo_archive", str(args.archive), *ARCHIVE_ARGS)
        print(f"built in {time.perf_counter() - t:.0f} s", flush=True)
    manifest = json.loads((args.archive / "demo.json").read_text())
    aoi, year = manifest["aoi"], int(manifest["year"])
    dataset = ParcelDataset.objects.filter(aoi=aoi, year=year).first()
    if dataset is None or dataset.parcel_count != args.parcels:
        ParcelDataset.objects.filter(aoi=aoi, year=year).delete()
        source = args.archive / manifest["parcels"]
        subset = args.work / f"parcels-{args.parcels}.gpkg"
        meta, _fids, geometry, field_data = pyogrio.raw.read(
            str(source), layer=manifest["parcels_layer"], max_features=args.parcels
        )
        if len(geometry) < args.parcels:
            raise SystemExit(f"the archive has {len(geometry)} parcels, not {args.parcels}")
        subset.unlink(missing_ok=True)
        pyogrio.raw.write(str(subset), geometry=geometry, field_data=field_data,
                          fields=meta["fields"], layer="parcels", driver="GPKG",
                          geometry_type="Polygon", crs=meta["crs"])  # fmt: skip
        t = time.perf_counter()
        call_command("import_parcels", str(subset), aoi=aoi, year=year, pid_field="pid",
                     crop_name_field="crop_name", crop_code_field="crop_code",
                     layer="parcels", verbosity=0)  # fmt: skip
        print(f"{args.parcels} parcels imported in {time.perf_counter() - t:.0f} s", flush=True)
        dataset = ParcelDataset.objects.get(aoi=aoi, year=year)
    if not Scene.objects.exists():
        call_command("ingest_stac", str(args.archive / "cog"), verbosity=0)
    return dataset


def bulk_scenes(dataset: Any) -> list[Any]:
    import datetime as dt

    from chips.signatures.bulk import dataset_scenes

    year = dataset.year
    return dataset_scenes(dataset, level="LEVEL2A", start=dt.date(year, 1, 1),
                          end=dt.date(year, 12, 31))  # fmt: skip


def run_extract(dataset: Any) -> dict[str, Any]:
    from django.core.management import call_command

    from chips.models import Signature, SignatureExtraction

    SignatureExtraction.objects.filter(dataset=dataset).delete()
    Signature.objects.all().delete()
    out = io.StringIO()
    t = time.perf_counter()
    call_command("extract_signatures", "--aoi", dataset.aoi, "--year", str(dataset.year),
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    seconds = time.perf_counter() - t
    print(out.getvalue().strip(), flush=True)
    # A second run adds nothing (idempotence at this size).
    t = time.perf_counter()
    call_command("extract_signatures", "--aoi", dataset.aoi, "--year", str(dataset.year),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    again = time.perf_counter() - t
    rows = Signature.objects.count()
    marks = SignatureExtraction.objects.filter(dataset=dataset)
    per_scene = [m.seconds for m in marks]
    return {"ours_s": seconds, "rows": rows, "again_s": again,
            "parcel_scenes": sum(m.parcels for m in marks),
            "scene_s": statistics.median(per_scene) if per_scene else 0.0}  # fmt: skip


def run_exactextract(dataset: Any, scenes: list[Any]) -> dict[str, Any]:
    import shapely
    from exactextract import exact_extract

    from chips.models import Asset
    from chips.signatures import compute

    ops = ["count", "mean", "stdev", "min", "quantile(q=0.25)", "median", "quantile(q=0.75)",
           "max"]  # fmt: skip
    total = 0.0
    obs = 0
    for scene in scenes:
        parcels = compute.dataset_parcels(dataset, scene)
        polygons = compute.in_crs_all(
            shapely.from_wkb([wkb for _pk, wkb in parcels]), dataset.srid, scene.epsg
        )
        features = [
            {"type": "Feature", "id": pk, "properties": {"pid": pk},
             "geometry": json.loads(shapely.to_geojson(polygon))}
            for (pk, _wkb), polygon in zip(parcels, polygons, strict=True)
        ]  # fmt: skip
        for asset in Asset.objects.filter(scene=scene, band__in=BANDS):
            t = time.perf_counter()
            exact_extract(asset.href, features,
                          ["count", "unique", "frac"] if asset.band == "SCL" else ops,
                          output="geojson")  # fmt: skip
            total += time.perf_counter() - t
            obs += len(features)
        print(f"exactextract {scene.product_id}: {len(features)} parcels", flush=True)
    return {"ee_s": total, "ee_obs": obs}


def check_sample(dataset: Any, n: int) -> float:
    """Largest difference between stored rows and rasterio + numpy over the same pixels
    (centre inside: rasterio.features.geometry_mask), for n rows spread over the store."""
    import numpy as np
    import rasterio
    import shapely
    from rasterio.features import geometry_mask
    from rasterio.windows import Window

    from chips.models import Asset, Signature
    from chips.signatures import compute

    total = Signature.objects.count()
    step = max(total // n, 1)
    ids = list(Signature.objects.order_by("pk").values_list("pk", flat=True)[::step][:n])
    worst = 0.0
    for row in Signature.objects.filter(pk__in=ids).select_related("parcel", "scene"):
        href = Asset.objects.get(scene=row.scene, band=row.band).href
        native = shapely.from_wkb(bytes(row.parcel.geom_native))
        polygon = compute.in_crs(native, dataset.srid, row.scene.epsg)
        with rasterio.open(href) as src:
            # Every pixel the parcel's bounds meet, then those whose centre is inside.
            left, bottom, right, top = shapely.bounds(polygon).tolist()
            rows, cols = rasterio.transform.rowcol(src.transform, [left, right], [top, bottom],
                                                   op=float)  # fmt: skip
            row0, col0 = max(int(np.floor(min(rows))), 0), max(int(np.floor(min(cols))), 0)
            row1 = min(int(np.ceil(max(rows))), src.height)
            col1 = min(int(np.ceil(max(cols))), src.width)
            window = Window(col0, row0, col1 - col0, row1 - row0)
            data = src.read(1, window=window)
            inside = ~geometry_mask([polygon], data.shape, src.window_transform(window))
        values = data[inside & (data != 0)].astype(np.float64)
        assert values.size == row.count, (row, values.size)
        if row.band == "SCL":
            classes, counts = np.unique(values, return_counts=True)
            expected_hist = {str(int(c)): n for c, n in zip(classes, counts.tolist(), strict=True)}
            assert (row.hist or {}) == expected_hist, (row, row.hist, expected_hist)
            continue
        if not values.size:
            continue
        expected = (values.mean(), values.std(), *np.percentile(values, [25, 50, 75]))
        got = (row.mean, row.std, row.p25, row.p50, row.p75)
        worst = max(worst, *(abs(a - b) for a, b in zip(expected, got, strict=True)))
    return worst


def render(r: dict[str, Any]) -> str:
    ours = r["rows"] / r["ours_s"]
    theirs = r["ee_obs"] / r["ee_s"]
    return "\n".join(
        [
            "# Benchmarks: bulk extraction on 100,000 parcels",
            "",
            "`DATABASE_URL=postgis://... .venv/bin/python bench/timeseries_bulk.py --write-doc`",
            f"(one run, one core, {r['database']} store; load average "
            f"{', '.join(f'{x:.2f}' for x in r['load'])} on 2 shared cores).",
            "",
            f"Dataset: {r['parcels']:,} generated parcels of about 1 ha over the demo's three",
            f"tiles (3120 px windows, COG), {r['scenes']} L2A scenes of June 2024; each scene",
            f"covers part of the dataset: {r['parcel_scenes']:,} parcel-scenes, 7 bands",
            "(B02 B03 B04 B05 B08 B11 SCL).",
            "",
            "| | rows (parcel-observations) | time | per core | ratio |",
            "|---|---|---|---|---|",
            f"| extract_signatures | {r['rows']:,} | {r['ours_s']:.1f} s | {ours:,.0f} /s "
            f"| **{ours / theirs:.2f}x** |",
            f"| exactextract 0.3.0 | {r['ee_obs']:,} | {r['ee_s']:.1f} s | {theirs:,.0f} /s | 1 |",
            "",
            f"Median scene task {r['scene_s']:.1f} s. A second run added nothing and took "
            f"{r['again_s']:.2f} s.",
            f"Sample of stored rows against rasterio + numpy on the band files: largest "
            f"difference {r['worst']:.2g} (counts equal).",
            "",
            "extract_signatures' time includes the database (the parcels' query, the upsert of",
            "every row, the marks); exactextract's only its own calls, the features prepared",
            "beforehand. exactextract weights pixels by their covered fraction, cbmweb counts",
            "the pixels whose centre is inside: the same parcels, files and statistics, not the",
            "same pixel weights.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
