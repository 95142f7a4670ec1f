"""Dataset map benchmark, one command: `.venv/bin/python bench/map.py [--parcels N]`.

The parcels of one map view at field zoom (16, a 1280 x 800 px screen: about 190 parcels)
on a dataset of N generated parcels (default 1,000,000; 16-corner outlines on a 100 m grid
near Zwolle, 40 % with a traffic light), PostGIS only. Per random view, in the same run and
interleaved (so the machine's load is shared alike):

- baseline: the plain query, `SELECT pid, ST_AsGeoJSON(geom) ... WHERE geom && envelope`,
  fetched (a raw cursor: no ORM, no light, no simplification);
- selector: `inspection.selectors.map_features` in process (the ORM query with the light,
  practice and reason of each parcel, simplified to half a pixel);
- endpoint: GET /query/parcelMap through the whole Django stack (test Client, HTTP Basic,
  DRF, the answer's text).

Reports p50 and p95 of each and their ratio to the baseline. Uses DATABASE_URL, by default
a cbmweb_bench_map database on the local PostGIS, which it creates; the parcels stay for a
second run. Figures go to docs/benchmarks-map.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgis://postgres@127.0.0.1:5432/cbmweb_bench_map"
AOI, YEAR = "benchmap", 2024
LON0, LAT0 = 5.9, 52.3  # near Zwolle
CELL_LON, CELL_LAT = 0.00147, 0.0009  # about 100 m each way at 52° N
ZOOM, WIDTH, HEIGHT = 16, 1280, 800


def build(n: int) -> None:
    """The dataset's parcels and lights, in SQL (a million rows in about a minute)."""
    from django.db import connection, transaction

    from parcels.models import ParcelDataset

    ParcelDataset.objects.filter(aoi=AOI, year=YEAR).delete()
    side = math.ceil(math.sqrt(n))
    with transaction.atomic():
        dataset = ParcelDataset.objects.create(
            aoi=AOI, year=YEAR, srid=4326, source="bench/map.py", parcel_count=n
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO parcels_parcel
                    (dataset_id, pid, crop_name, crop_code, area, centroid, geom, geom_native)
                SELECT %(ds)s, 'p' || i, 'crop ' || (i %% 7), (100 + i %% 7)::text, 9000, c,
                       g, ST_AsBinary(g)
                FROM (
                    SELECT i, c, ST_Multi(ST_Buffer(c, %(r)s, 4)) AS g FROM (
                        SELECT i, ST_SetSRID(ST_MakePoint(
                            %(lon)s + (i %% %(side)s) * %(dx)s,
                            %(lat)s + (i / %(side)s) * %(dy)s), 4326) AS c
                        FROM generate_series(0, %(n)s - 1) AS i
                    ) points
                ) shapes
                """,
                {"ds": dataset.pk, "r": CELL_LAT * 0.4, "lon": LON0, "lat": LAT0,
                 "side": side, "dx": CELL_LON, "dy": CELL_LAT, "n": n},
            )  # fmt: skip
            cursor.execute(
                """
                INSERT INTO markers_trafficlight
                    (parcel_id, year, practice, light, reason_code, reason, observability,
                     clear_observations, events, detector, rules, computed_at)
                SELECT id, %(year)s, 'grassland',
                       (ARRAY['green', 'yellow', 'red'])[1 + id %% 3], 'bench', 'bench', 0.8,
                       20, 1, 'bench', '', now()
                FROM parcels_parcel WHERE dataset_id = %(ds)s AND id %% 5 < 2
                """,
                {"ds": dataset.pk, "year": YEAR},
            )
            cursor.execute("ANALYZE parcels_parcel; ANALYZE markers_trafficlight")


def views(count: int, n: int, seed: int) -> list[tuple[float, ...]]:
    """Random field-zoom views (the screen's span at ZOOM) inside the dataset."""
    side = math.ceil(math.sqrt(n))
    pixel = 360.0 / (256 * 2**ZOOM)
    span_lon = WIDTH * pixel
    span_lat = HEIGHT * pixel * math.cos(math.radians(LAT0))
    east, north = LON0 + side * CELL_LON, LAT0 + (n / side) * CELL_LAT
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        w = rng.uniform(LON0, east - span_lon)
        s = rng.uniform(LAT0, north - span_lat)
        # Rounded as the map's script sends them: the three ask the same view (the index's
        # boxes are float4, so a view's edge at full precision may take a row more).
        out.append(tuple(round(x, 6) for x in (w, s, w + span_lon, s + span_lat)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the parcels again")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-map.md"))
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    if not url.startswith("postgis://"):
        sys.exit("bench/map.py measures PostGIS: set DATABASE_URL=postgis://...")
    from bench.parcels import ensure_database

    ensure_database(url)
    from bench.common import bench_user, setup_django

    setup_django(ROOT / "var" / "bench")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from inspection import selectors
    from parcels.models import ParcelDataset

    call_command("migrate", verbosity=0)
    dataset = ParcelDataset.objects.filter(aoi=AOI, year=YEAR).first()
    built = None
    if args.rebuild or dataset is None or dataset.parcel_count != args.parcels:
        started = time.perf_counter()
        build(args.parcels)
        built = time.perf_counter() - started
        dataset = ParcelDataset.objects.get(aoi=AOI, year=YEAR)
    header = bench_user(staff=True)
    client = Client(HTTP_AUTHORIZATION=header["Authorization"])
    plain = """SELECT pid, ST_AsGeoJSON(geom) FROM parcels_parcel
               WHERE dataset_id = %s AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"""

    def baseline(v: tuple[float, ...]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(plain, [dataset.pk, *v])
            return len(cursor.fetchall())

    def selector(v: tuple[float, ...]) -> int:
        view = selectors.MapView(v[0], v[1], v[2], v[3], ZOOM)
        features, _ = selectors.map_features(dataset, view, limit=2000)
        return len(features)

    def endpoint(v: tuple[float, ...]) -> int:
        bbox = ",".join(f"{x:.6f}" for x in v)
        response = client.get(f"/query/parcelMap?aoi={AOI}&year={YEAR}&bbox={bbox}&zoom={ZOOM}")
        assert response.status_code == 200, response.content[:200]
        return response.content.count(b'"Feature"')

    runs = {"baseline": baseline, "selector": selector, "endpoint": endpoint}
    timings: dict[str, list[float]] = {name: [] for name in runs}
    counts: list[int] = []
    chosen = views(args.views, args.parcels, args.seed)
    for v in chosen[:10]:  # warm-up: connections, the credential cache, plans
        for run in runs.values():
            run(v)
    load = os.getloadavg()[0]
    for v in chosen:
        found = []
        for name, run in runs.items():
            started = time.perf_counter()
            found.append(run(v))
            timings[name].append((time.perf_counter() - started) * 1000)
        counts.append(found[0])
        assert found[1] == found[0] and found[2] == found[0], (v, found)
    searches = time_searches(client, dataset.pk, args)
    report(args, timings, counts, built, load, searches)


def time_searches(client: Any, dataset_id: int, args: argparse.Namespace) -> dict[str, list[float]]:
    """The search box: prefixes of 1 to 7 characters of random ids, as one types them, asked
    of parcelSuggest, against the plain look-up of one whole id."""
    from django.db import connection

    def exact(text: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM parcels_parcel WHERE dataset_id = %s AND pid = %s",
                [dataset_id, text],
            )
            return len(cursor.fetchall())

    def suggest(text: str) -> int:
        response = client.get(f"/query/parcelSuggest?q={text}&limit=10")
        assert response.status_code == 200, response.content[:200]
        return len(response.json()["suggestions"])

    rng = random.Random(args.seed)
    typed = [f"p{rng.randrange(args.parcels)}"[: rng.randint(1, 7)] for _ in range(args.views)]
    for text in typed[:10]:
        suggest(text)
    searches: dict[str, list[float]] = {"exact id": [], "parcelSuggest": []}
    for text in typed:
        for name, run in (("exact id", exact), ("parcelSuggest", suggest)):
            started = time.perf_counter()
            run(text)
            searches[name].append((time.perf_counter() - started) * 1000)
    return searches


def report(
    args: argparse.Namespace,
    timings: dict[str, list[float]],
    counts: list[int],
    built: float | None,
    load: float,
    searches: dict[str, list[float]],
) -> None:
    p = {name: (np.percentile(t, 50), np.percentile(t, 95)) for name, t in timings.items()}
    base50, base95 = p["baseline"]
    lines = [
        "# Benchmark: the dataset map's parcels of a view (bench/map.py)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average {load:.1f} at the start), PostGIS, "
        f"{args.parcels:,} parcels (16-corner outlines on a 100 m grid, 40 % with a light), "
        f"{len(counts)} random views at zoom {ZOOM} ({WIDTH} x {HEIGHT} px): "
        f"{np.median(counts):.0f} parcels a view (median; {min(counts)}..{max(counts)}).",
        "",
        "| | p50 ms | p95 ms | p50 / baseline | p95 / baseline |",
        "|---|---|---|---|---|",
    ]
    for name, (p50, p95) in p.items():
        lines.append(
            f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / base50:.2f} | {p95 / base95:.2f} |"
        )
    lines += [
        "",
        "- baseline: `SELECT pid, ST_AsGeoJSON(geom) ... WHERE geom && envelope`, fetched with",
        "  a raw cursor (no ORM, no light, no simplification).",
        "- selector: `inspection.selectors.map_features` (each parcel's light, practice and",
        "  reason joined, outlines simplified to half a pixel, coordinates rounded).",
        "- endpoint: `GET /query/parcelMap` through the Django test Client (HTTP Basic, DRF,",
        "  the GeoJSON text of the answer).",
        "",
        f"Goal: p50 at most 50 ms a view, in process: selector p50 {p['selector'][0]:.1f} ms, "
        f"endpoint p50 {p['endpoint'][0]:.1f} ms.",
    ]
    q = {name: (np.percentile(t, 50), np.percentile(t, 95)) for name, t in searches.items()}
    e50, e95 = q["exact id"]
    lines += [
        "",
        f"The search box: {len(searches['exact id'])} prefixes of random ids (1 to 7 characters,",
        "as one types), `GET /query/parcelSuggest?q=<prefix>&limit=10` through the Django stack",
        "against the plain look-up of one whole id (`WHERE dataset_id = %s AND pid = %s`).",
        "",
        "| | p50 ms | p95 ms | p50 / exact | p95 / exact |",
        "|---|---|---|---|---|",
    ]
    for name, (p50, p95) in q.items():
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / e50:.2f} | {p95 / e95:.2f} |")
    if built is not None:
        lines.append("")
        lines.append(f"Building the parcels and lights (SQL, not timed above): {built:.0f} s.")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
