"""Parcels benchmark, one command: `.venv/bin/python bench/parcels.py [--parcels N]`.

Builds N synthetic parcels (default 1,000,000) into a GeoPackage in EPSG:28992 (not
timed), times `manage.py import_parcels` on it, then times 1,000 random parcelByLocation
and 1,000 random parcelByID requests through the Django stack (test Client, HTTP Basic or
session auth, DRF, ORM, PostGIS) and reports p50 / p99. Uses DATABASE_URL, by default a
cbmweb_bench database on the local PostGIS, which it creates. Figures go to
docs/benchmarks-parcels.md.
"""

from __future__ import annotations

import argparse
import base64
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


def _environment() -> None:
    """The bench's settings, from the environment (before Django is set up)."""
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


def summarise(timings: dict[str, list[list[float]]]) -> dict[str, tuple[float, ...]]:
    """Per series: p50, p99 and mean of the whole request, p50 and p99 until ready."""
    results: dict[str, tuple[float, ...]] = {}
    for name, values in timings.items():
        ready, total = ([row[i] for row in values] for i in (0, 1))
        results[name] = (
            percentile(total, 50),
            percentile(total, 99),
            statistics.fmean(total),
            percentile(ready, 50),
            percentile(ready, 99),
        )
    return results


def render(
    args: argparse.Namespace,
    reuse: bool,
    import_seconds: float,
    results: dict[str, tuple[float, ...]],
    queries: dict[str, int],
    vendor: str,
) -> str:
    """The report's markdown."""
    load = os.getloadavg()
    lines = [
        f"## Parcels benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
        + (" (`--reuse`: the set already imported, queries only)" if reuse else ""),
        "",
        f"`.venv/bin/python bench/parcels.py --parcels {args.parcels}"
        f"{' --reuse' if reuse else ''}` on "
        f"{vendor} ({platform.machine()}, {os.cpu_count()} cores, shared), "
        f"{args.queries} random queries each per stack through the Django test Client, "
        "interleaved in blocks of 50; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        "Requests: p50 / p99 (mean) of the whole request as the test client times it, the",
        "log row included; then p50 / p99 until the answer is ready to send (a WSGI server",
        "sends it then and writes the log row after).",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
    ]
    if import_seconds:
        lines.append(
            f"| import {args.parcels:,} parcels (GeoPackage, EPSG:28992) | {import_seconds:.1f} s "
            f"= {args.parcels / import_seconds:,.0f} parcels/s | >= 20,000 parcels/s |"
        )
    for name, (p50, p99, mean, ready50, ready99) in results.items():
        lines.append(
            f"| {name} | {p50:.2f} / {p99:.2f} ms ({mean:.2f}); answer ready "
            f"{ready50:.2f} / {ready99:.2f} ms | p50 <= 5 ms, p99 <= 20 ms |"
        )
    lines += [
        "",
        "Queries per parcelByID request (all of them, the log INSERT included): "
        + ", ".join(f"{stack} {count}" for stack, count in queries.items())
        + ".",
    ]
    return "\n".join(lines) + "\n"


def load_parcels(args: argparse.Namespace) -> tuple[bool, float]:
    """Build (or keep) the GeoPackage and import it, unless --reuse finds the set imported:
    (reused, import seconds)."""
    from parcels.models import ParcelDataset

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
    return reuse, import_seconds


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

    _environment()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpRequest, HttpResponseBase
    from django.test import Client
    from django.test.client import ClientHandler
    from django.test.utils import CaptureQueriesContext

    from parcels.models import Parcel, ParcelDataset

    call_command("migrate", verbosity=0)

    reuse, import_seconds = load_parcels(args)
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

    def timed(
        client: StampedClient, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> list[float]:
        """[until the answer is ready to send, until the client has it and it is closed]."""
        started = time.perf_counter()
        response = client.get(url, params, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and len(response.json()["pid"]) == 1, (
            response.status_code,
            response.content[:200],
        )
        return [(client.stamped.ready - started) * 1000, elapsed]

    class StampedHandler(ClientHandler):
        # A WSGI server sends the answer when the handler returns it and writes the request
        # log row on close(), after sending; the test client closes before returning. So
        # the time the handler returns is what a caller waits for.
        ready = 0.0

        def get_response(self, request: HttpRequest) -> HttpResponseBase:
            response = super().get_response(request)
            self.ready = time.perf_counter()
            return response

    class StampedClient(Client):
        def __init__(self) -> None:
            super().__init__()
            self.handler = self.stamped = StampedHandler(self.handler.enforce_csrf_checks)

    # Three stacks: HTTP Basic as the CbM client calls (common.auth answers repeat
    # credentials from its cache: one query by pk), a browser session (session + user
    # queries), and Basic without the ops request-log middleware (one committed INSERT per
    # request) to show what the parcel endpoints themselves cost.
    password = "bench-pass"  # noqa: S105 - a throw-away benchmark user
    user.set_password(password)
    user.save()
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    basic = {"Authorization": f"Basic {token}"}
    lean = [name for name in settings.MIDDLEWARE if "RequestLog" not in name]
    stacks: dict[str, tuple[StampedClient, dict[str, str]]] = {}
    for stack, middleware, headers in (
        ("Basic auth", settings.MIDDLEWARE, basic),
        ("session auth", settings.MIDDLEWARE, {}),
        ("Basic auth, no request log", lean, basic),
    ):
        with override_settings(MIDDLEWARE=middleware):
            client = StampedClient()  # loads the middleware it is given, on its first request
            if not headers:
                client.force_login(user)
            for _ in range(20):  # warm-up: connection, caches, the one PBKDF2 check
                client.get("/query/parcelByID", id_query(), headers=headers)
            stacks[stack] = (client, headers)

    endpoints = (
        ("parcelByLocation", "/query/parcelByLocation", location_query),
        ("parcelByID", "/query/parcelByID", id_query),
    )
    queries: dict[str, int] = {}
    for stack, (client, headers) in stacks.items():
        with CaptureQueriesContext(connection) as captured:
            client.get("/query/parcelByID", id_query(), headers=headers)
        queries[stack] = len(captured)
    # Round-robin in blocks of 50: every stack and endpoint sees the same machine load.
    timings: dict[str, list[list[float]]] = {}
    block = 50
    for _ in range(max(1, args.queries // block)):
        for name, url, make in endpoints:
            for stack, (client, headers) in stacks.items():
                series = timings.setdefault(f"{name}, {stack}", [])
                series += [timed(client, url, make(), headers) for _ in range(block)]
    results = summarise(timings)
    text = render(args, reuse, import_seconds, results, queries, connection.vendor)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as handle:
        handle.write(text + "\n")
    print(f"appended to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
