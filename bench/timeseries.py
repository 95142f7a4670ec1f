"""Parcel time series benchmark on the demo archive, one command:

    .venv/bin/python bench/timeseries.py [--archive var/bench/archive] [--work var/bench-ts]
        [--rounds 3] [--warm 20] [--write-doc]

For the COG and the SAFE/JP2 layout in turn: the demo parcels imported, the L2A products
ingested, the parcel with the most acquisitions at the archive's busiest point and a
season of at most 24 of them (what one rawChipByParcelID request may cut). Timed, methods
alternating within each round, median round reported:
  - parcelTimeSeries tstype=s2 (6 bands) with scl=True (+ SCL): cold (empty signature
    store, empty mask cache) and warm (p50), through the whole Django stack, HTTP Basic;
  - a plain rasterstats loop over the same band files (the parcel reprojected per scene);
  - the page's own workflow: rawChipByParcelID per band over the season (cold chip cache),
    each chip downloaded from /dump/, rasterstats on each chip;
  - bulk: extract_signatures on the demo dataset (in-process: one core) against
    exactextract over the same parcels, band files and statistics (exactextract weights
    pixels by their covered fraction; cbmweb counts pixel centres inside).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from django.http import StreamingHttpResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import BENCH, ingest, load_archive, pick_point, setup_django  # noqa: E402

S2 = ("B02", "B03", "B04", "B05", "B08", "B11")
BANDS = (*S2, "SCL")
STATS = "count mean std min percentile_25 percentile_50 percentile_75 max"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-ts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    setup_django(args.work.resolve())
    manifest = load_archive(args.archive)
    load = [os.getloadavg()[0]]
    results = {}
    for layout in ("cog", "safe"):
        results[layout] = bench_layout(layout, args, manifest)
        load.append(os.getloadavg()[0])
    report = render(results, args, load)
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-timeseries.md").write_text(report)


def import_parcels(archive: Path, manifest: dict[str, Any]) -> None:
    from django.core.management import call_command

    from parcels.models import AoiGrant, ParcelDataset

    if not ParcelDataset.objects.filter(aoi=manifest["aoi"], year=int(manifest["year"])).exists():
        call_command("import_parcels", str(archive / manifest["parcels"]), aoi=manifest["aoi"],
                     year=int(manifest["year"]), pid_field="pid", crop_name_field="crop_name",
                     crop_code_field="crop_code", layer=manifest.get("parcels_layer", "parcels"),
                     verbosity=0)  # fmt: skip
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench")
    user.set_password("bench-pw-123")
    user.save()
    AoiGrant.objects.get_or_create(user=user, aoi=manifest["aoi"])


def geojson(geom: Any) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON mapping (what rasterstats and exactextract read)."""
    import json

    import shapely

    mapping: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return mapping


def timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def bench_layout(layout: str, args: argparse.Namespace, manifest: dict[str, Any]) -> dict:
    from django.contrib.gis.geos import Point
    from django.test import Client
    from rasterstats import zonal_stats

    from chips.models import Asset, Signature, SignatureExtraction
    from chips.raster import zonal
    from chips.signatures import compute, series
    from chips.store.cache import flush_cache
    from parcels.models import Parcel

    ingest(layout, args.archive)
    import_parcels(args.archive, manifest)
    lon, lat, _start, _end, _scenes = pick_point(manifest, 24)
    point = Point(lon, lat, srid=4326)
    parcel = (Parcel.objects.select_related("dataset").filter(geom__intersects=point).first()
              or Parcel.objects.select_related("dataset").order_by("pk").first())  # fmt: skip
    assert parcel is not None
    year = parcel.dataset.year
    scenes = series.season_scenes(parcel, level="LEVEL2A", start=_start.replace(month=1, day=1),
                                  end=_start.replace(month=12, day=31))[:24]  # fmt: skip
    start = scenes[0].sensing_time.date()
    end = scenes[-1].sensing_time.date()
    native, srid = series.parcel_polygon(parcel)
    files = [
        (s, a.band, a.href) for s in scenes for a in Asset.objects.filter(scene=s, band__in=BANDS)
    ]
    polys = {s.pk: compute.in_crs(native, srid, s.epsg) for s in scenes}
    auth = "Basic " + base64.b64encode(b"bench:bench-pw-123").decode()
    client = Client()
    ts_url = (f"/query/parcelTimeSeries?aoi={parcel.dataset.aoi}&year={year}&pid={parcel.pid}"
              f"&tstype=s2&scl=True&start_date={start}&end_date={end}")  # fmt: skip

    def cold_ts() -> None:
        Signature.objects.filter(parcel=parcel).delete()
        zonal._mask.cache_clear()
        r = client.get(ts_url, HTTP_AUTHORIZATION=auth)
        assert r.status_code == 200, r.content

    def rasterstats_loop() -> list[Any]:
        out = []
        for scene, band, href in files:
            geom = geojson(polys[scene.pk])
            if band == "SCL":
                out.append(zonal_stats([geom], href, categorical=True, nodata=0)[0])
            else:
                out.append(zonal_stats([geom], href, stats=STATS, nodata=0)[0])
        return out

    def page_workflow() -> None:
        flush_cache()  # no filter: the whole chip cache, so every chip is cut again
        base = (f"/query/rawChipByParcelID?aoi={parcel.dataset.aoi}&year={year}&pid={parcel.pid}"
                f"&start_date={start}&end_date={end}&chipsize=1280")  # fmt: skip
        import rasterio

        for band in BANDS:
            r = client.get(f"{base}&band={band}", HTTP_AUTHORIZATION=auth)
            assert r.status_code == 200, r.content
            for chip in r.json()["chips"]:
                download = cast("StreamingHttpResponse", client.get(chip))
                body = b"".join(cast(Iterable[bytes], download.streaming_content))
                with rasterio.MemoryFile(body) as mem, mem.open() as src:
                    to_chip = compute.in_crs(native, srid, src.crs.to_epsg())
                    data = src.read(1)
                    zonal_stats([geojson(to_chip)], data, affine=src.transform,
                                nodata=0, categorical=band == "SCL",
                                stats=None if band == "SCL" else STATS)  # fmt: skip

    rounds: dict[str, list[float]] = {"cold": [], "rasterstats": [], "page": []}
    warm: list[float] = []
    for _ in range(args.rounds):
        rounds["cold"].append(timed(cold_ts))
        rounds["rasterstats"].append(timed(rasterstats_loop))
        rounds["page"].append(timed(page_workflow))
        warm += [
            timed(lambda: client.get(ts_url, HTTP_AUTHORIZATION=auth)) for _ in range(args.warm)
        ]
    answer = client.get(ts_url, HTTP_AUTHORIZATION=auth).json()
    check = max_difference(answer, rasterstats_loop(), files)

    # Bulk: the whole demo dataset on the season's scenes, then exactextract on the same.
    from django.core.management import call_command

    SignatureExtraction.objects.all().delete()
    Signature.objects.all().delete()
    t = time.perf_counter()
    call_command("extract_signatures", "--aoi", parcel.dataset.aoi, "--year", str(year),
                 "--start", str(start), "--end", str(end), stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    bulk_s = time.perf_counter() - t
    rows = Signature.objects.count()
    # The same scenes as extract_signatures: every one of the window over the dataset.
    from chips.signatures.bulk import dataset_scenes

    bulk_scenes = dataset_scenes(parcel.dataset, level="LEVEL2A", start=start, end=end)
    ee_s, ee_obs = exactextract_run(parcel.dataset, bulk_scenes)
    return {
        "parcel": parcel.pid, "pixels": int(answer["count"][0]) if answer["count"] else 0,
        "dates": len(scenes), "rows": len(answer["band"]),
        "cold": statistics.median(rounds["cold"]),
        "rasterstats": statistics.median(rounds["rasterstats"]),
        "page": statistics.median(rounds["page"]),
        "warm_p50": statistics.median(warm), "check": check,
        "bulk_s": bulk_s, "bulk_rows": rows, "ee_s": ee_s, "ee_obs": ee_obs,
        "parcels": parcel.dataset.parcel_count, "rounds": rounds,
        "bulk_scenes": len(bulk_scenes),
    }  # fmt: skip


def max_difference(answer: dict[str, Any], rs: list[Any], files: list) -> float:
    """Largest difference of mean/percentiles between cbmweb and rasterstats (same pixels)."""
    import math

    ours = {}
    for i, band in enumerate(answer["band"]):
        ours[(answer["date_part"][i], band)] = i
    worst = 0.0
    for (scene, band, _href), stats in zip(files, rs, strict=True):
        if band == "SCL" or not stats.get("count"):
            continue
        row = ours.get((int(scene.sensing_time.timestamp()), band))
        if row is None:
            continue
        for ours_name, theirs in (("mean", "mean"), ("p25", "percentile_25"),
                                  ("p50", "percentile_50"), ("p75", "percentile_75")):  # fmt: skip
            worst = max(worst, math.fabs(answer[ours_name][row] - stats[theirs]))
    return worst


def exactextract_run(dataset: Any, scenes: list) -> tuple[float, int]:
    """exactextract over the dataset's parcels each scene covers, every band: seconds and
    parcel-observations. The features are made here; exactextract runs in a process of
    its own, which has not loaded mod_spatialite: beside it (the SpatiaLite store),
    exactextract's GDAL crashes the process (segmentation fault in exact_extract)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import shapely

    from chips.models import Asset
    from chips.signatures import compute

    jobs = []
    for scene in scenes:
        parcels = compute.dataset_parcels(dataset, scene)
        features = [
            {"type": "Feature", "id": pk, "properties": {"pid": pk},
             "geometry": geojson(
                 compute.in_crs(shapely.from_wkb(wkb), dataset.srid, scene.epsg))}
            for pk, wkb in parcels
        ]  # fmt: skip
        for asset in Asset.objects.filter(scene=scene, band__in=BANDS):
            jobs.append((asset.href, asset.band, features))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(exactextract_jobs, jobs).result()


def exactextract_jobs(jobs: list[tuple[str, str, list[dict[str, Any]]]]) -> tuple[float, int]:
    """exact_extract on each (href, band, features): its calls' seconds, observations."""
    from exactextract import exact_extract

    ops = ["count", "mean", "stdev", "min", "quantile(q=0.25)", "median", "quantile(q=0.75)",
           "max"]  # fmt: skip
    if jobs:  # the library's first call loads its GDAL drivers: not timed
        exact_extract(jobs[0][0], jobs[0][2][:1], ["count"], output="geojson")
    total = 0.0
    obs = 0
    for href, band, features in jobs:
        t = time.perf_counter()
        exact_extract(href, features, ["count", "unique", "frac"] if band == "SCL" else ops,
                      output="geojson")  # fmt: skip
        total += time.perf_counter() - t
        obs += len(features)
    return total, obs


def render(results: dict[str, dict], args: argparse.Namespace, load: list[float]) -> str:
    from django.db import connection

    lines = [
        "# Benchmarks: parcel time series",
        "",
        "`.venv/bin/python bench/timeseries.py` (figures below from one run; ratios against",
        "baselines measured in the same run, methods alternating within each round,",
        f"{args.rounds} rounds, median; warm p50 over {args.rounds * args.warm} requests).",
        f"Load average during the run: {', '.join(f'{x:.2f}' for x in load)} (2 shared cores);",
        f"signature store on {connection.vendor}.",
        "",
        "## One parcel, one season (tstype=s2, 6 bands, scl=True: + SCL)",
        "",
        "| layout | dates | rows | cold parcelTimeSeries | rasterstats loop | ratio "
        "| page workflow | speed-up | warm p50 | max diff vs rasterstats |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for layout, r in results.items():
        lines.append(
            f"| {layout} | {r['dates']} | {r['rows']} | {r['cold']:.0f} ms | "
            f"{r['rasterstats']:.0f} ms | **{r['cold'] / r['rasterstats']:.2f}x** | "
            f"{r['page']:.0f} ms | **{r['page'] / r['cold']:.1f}x** | {r['warm_p50']:.1f} ms | "
            f"{r['check']:.2g} |"
        )
    lines += [
        "",
        "Goals: cold COG at most 0.5x the rasterstats loop, at least 20x faster than the page's",
        "workflow; warm p50 at most 20 ms.",
        "",
        "## Bulk: extract_signatures on the demo dataset (in-process, one core)",
        "",
        "| layout | parcels | scenes | rows (parcel-observations) | extract_signatures | per core "
        "| exactextract | per core | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for layout, r in results.items():
        ours = r["bulk_rows"] / r["bulk_s"]
        theirs = r["ee_obs"] / r["ee_s"]
        lines.append(
            f"| {layout} | {r['parcels']} | {r['bulk_scenes']} | {r['bulk_rows']} "
            f"| {r['bulk_s']:.1f} s "
            f"| {ours:,.0f} /s | {r['ee_s']:.1f} s | {theirs:,.0f} /s | **{ours / theirs:.2f}x** |"
        )
    lines += [
        "",
        "extract_signatures' time includes the database: the parcels' query, the upsert of",
        "every row and its extraction mark; exactextract's only its own calls (features",
        "prepared beforehand). exactextract weights pixels by their covered fraction, cbmweb",
        "counts the pixels whose centre is inside: the same parcels, files and statistics,",
        "not the same pixel weights.",
        "",
        "Raw rounds (ms):",
        "",
    ]
    for layout, r in results.items():
        for name, values in r["rounds"].items():
            lines.append(f"- {layout} {name}: {', '.join(f'{v:.0f}' for v in values)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
