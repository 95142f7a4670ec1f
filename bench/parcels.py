"""Parcels benchmark, one command: `.venv/bin/python bench/parcels.py [--parcels N]`.

Builds N synthetic parcels (default 1,000,000) into a GeoPackage in EPSG:28992 (not
timed), times `manage.py import_parcels` on it, then times 1,000 random parcelByLocation
and 1,000 random parcelByID requests through the Django stack (test Client, session auth,
DRF, ORM, PostGIS) and reports p50 / p99. Uses DATABASE_URL, by default a cbmweb_bench
database on the local PostGIS, which it creates. Figures go to docs/benchmarks-parcels.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgis://postgres@127.0.0.1:5432/cbmweb_bench"
CELL = 100.0  # metres: one parcel per 100 m cell, a 6-vertex polygon inside it
ORIGIN = (100_000.0, 400_000.0)  # RD New, the middle of the Netherlands
AOI, YEAR = "bench", 2024


def build_file(path: Path, count: int, seed: int) -> None:
    """`count` parcels on a square grid of CELL m, jittered hexagon-ish outlines."""
    import pyogrio
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    x0 = ORIGIN[0] + (index % side) * CELL
    y0 = ORIGIN[1] + (index // side) * CELL
    # Six corners, each moved up to 15 m inward from the cell edge: no overlaps, all valid.
    template = np.array([[5, 5], [50, 2], [95, 5], [95, 95], [50, 98], [5, 95]], dtype=float)
    jitter = rng.uniform(0, 10, size=(count, 6, 2))
    corners = template[np.newaxis] + np.where(template[np.newaxis] < 50, jitter, -jitter)
    corners[..., 0] += x0[:, np.newaxis]
    corners[..., 1] += y0[:, np.newaxis]
    rings = np.concatenate([corners, corners[:, :1]], axis=1)
    polygons = shapely.polygons(rings)
    crops = np.array(["wheat", "maize", "grassland", "barley", "potatoes", "sugar beet"])
    crop_index = rng.integers(0, len(crops), count)
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(polygons),
        geometry_type="Polygon",
        field_data=[
            np.array([f"p{i}" for i in range(count)], dtype=object),
            crops[crop_index].astype(object),
            (crop_index + 100).astype(np.int32),
        ],
        fields=["pid", "crop_name", "crop_code"],
        crs="EPSG:28992",
        driver="GPKG",
        layer="parcels",
    )


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.replace("postgis://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url.replace("postgis://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def import_file(path: Path) -> float:
    """Seconds `manage.py import_parcels` takes on a fresh, vacuumed table."""
    from django.core.management import call_command
    from django.db import connection

    from parcels.models import Parcel, ParcelDataset

    ParcelDataset.objects.filter(aoi=AOI, year=YEAR).delete()
    with connection.cursor() as cursor:
        # A previous run's million dead rows would otherwise bloat the indexes we time.
        cursor.execute(f"VACUUM {Parcel._meta.db_table}")  # noqa: S608
    started = time.perf_counter()
    call_command(
        "import_parcels",
        str(path),
        aoi=AOI,
        year=YEAR,
        pid_field="pid",
        crop_name_field="crop_name",
        crop_code_field="crop_code",
        replace=True,
        no_progress=True,
    )
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep-file", help="reuse/keep the generated GeoPackage at this path")
    parser.add_argument(
        "--reuse", action="store_true", help="query an already imported set (no import timing)"
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-parcels.md"))
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("CBMWEB_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # One client firing 2,000 requests: the per-IP/per-user request quotas would answer 429.
    os.environ.setdefault("QUOTA_REQUESTS_PER_MINUTE", "0")
    os.environ.setdefault("QUOTA_IP_REQUESTS_PER_MINUTE", "0")
    sys.path.insert(0, str(ROOT))
    if os.environ["DATABASE_URL"].startswith("postgis://"):
        ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from parcels.models import Parcel, ParcelDataset

    call_command("migrate", verbosity=0)

    workdir = Path(tempfile.mkdtemp(prefix="bench-parcels-"))
    path = Path(args.keep_file) if args.keep_file else workdir / "parcels.gpkg"
    reuse = (
        args.reuse
        and ParcelDataset.objects.filter(aoi=AOI, year=YEAR, parcel_count=args.parcels).exists()
    )
    if not reuse and not path.exists():
        started = time.perf_counter()
        build_file(path, args.parcels, args.seed)
        print(f"built {args.parcels:,} parcels in {time.perf_counter() - started:.1f} s: {path}")

    import_seconds = 0.0
    if not reuse:
        import_seconds = import_file(path)
    dataset = ParcelDataset.objects.get(aoi=AOI, year=YEAR)
    assert dataset.parcel_count == args.parcels, dataset.parcel_count
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Parcel._meta.db_table}")  # noqa: S608

    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": False})
    from parcels.services import aoi_grant

    aoi_grant(user=user, aoi=AOI)
    rng = random.Random(args.seed)
    side = int(np.ceil(np.sqrt(args.parcels)))
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(28992, 4326, always_xy=True)

    def location_query() -> dict[str, str]:
        i = rng.randrange(args.parcels)
        x = ORIGIN[0] + (i % side) * CELL + 50
        y = ORIGIN[1] + (i // side) * CELL + 50
        lon, lat = to_wgs84.transform(x, y)
        return {"aoi": AOI, "year": str(YEAR), "lon": f"{lon:.7f}", "lat": f"{lat:.7f}"}

    def id_query() -> dict[str, str]:
        return {"aoi": AOI, "year": str(YEAR), "pid": f"p{rng.randrange(args.parcels)}"}

    from django.conf import settings
    from django.test.utils import override_settings

    def measure(client: Client, url: str, make) -> tuple[float, float, float]:  # noqa: ANN001
        for _ in range(20):  # warm-up: connection, caches
            client.get(url, make())
        timings = []
        for _ in range(args.queries):
            params = make()
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and len(response.json()["pid"]) == 1, (
                response.status_code,
                response.content[:200],
            )
        return percentile(timings, 50), percentile(timings, 99), statistics.fmean(timings)

    # The whole stack as configured, then without the per-request log middleware (one
    # committed INSERT per request) to show what the parcel endpoints themselves cost.
    lean = [name for name in settings.MIDDLEWARE if "RequestLog" not in name]
    results: dict[str, tuple[float, float, float]] = {}
    for stack, middleware in (("", settings.MIDDLEWARE), (", no request log", lean)):
        if stack and middleware == settings.MIDDLEWARE:
            continue
        with override_settings(MIDDLEWARE=middleware):
            client = Client()  # loads the middleware it is given
            client.force_login(user)  # session auth: Basic would time PBKDF2, not the query
            for name, url, make in (
                ("parcelByLocation", "/query/parcelByLocation", location_query),
                ("parcelByID", "/query/parcelByID", id_query),
            ):
                results[name + stack] = measure(client, url, make)

    load = os.getloadavg()
    lines = [
        f"## Parcels benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"`.venv/bin/python bench/parcels.py --parcels {args.parcels}` on "
        f"{connection.vendor} ({platform.machine()}, {os.cpu_count()} cores, shared), "
        f"{args.queries} random queries each through the Django test Client (session auth); "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
    ]
    if import_seconds:
        lines.append(
            f"| import {args.parcels:,} parcels (GeoPackage, EPSG:28992) | {import_seconds:.1f} s "
            f"= {args.parcels / import_seconds:,.0f} parcels/s | >= 20,000 parcels/s |"
        )
    for name, (p50, p99, mean) in results.items():
        lines.append(
            f"| {name} p50 / p99 (mean) | {p50:.2f} / {p99:.2f} ms ({mean:.2f}) "
            "| p50 <= 5 ms, p99 <= 20 ms |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as handle:
        handle.write(text + "\n")
    print(f"appended to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
