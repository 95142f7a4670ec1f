"""What the chip benchmarks share: Django set up for a bench folder, the demo archive
loaded, and a point with many acquisitions."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = ROOT / "var" / "bench"


def setup_django(work: Path) -> None:
    """Settings for a bench run: its own database (SpatiaLite in `work` unless DATABASE_URL
    is set) and chip store, and no quotas (a bench asks hundreds of times a minute)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")
    os.environ.setdefault("CBMWEB_DEMO", "1")
    os.environ.setdefault("DATABASE_URL", f"spatialite:///{work / 'bench.sqlite3'}")
    os.environ["CHIP_STORE"] = str(work / "store")
    os.environ.setdefault("MAX_CHIPS_PER_REQUEST", "24")
    for name in ("QUOTA_REQUESTS_PER_MINUTE", "QUOTA_IP_REQUESTS_PER_MINUTE",
                 "QUOTA_CHIPS_PER_DAY", "QUOTA_IP_CHIPS_PER_DAY"):  # fmt: skip
        os.environ[name] = "0"  # 0 = no limit
    import django

    django.setup()


def load_archive(archive: Path) -> dict[str, Any]:
    """Migrate the bench database, build the demo archive if missing; its manifest."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not (archive / "demo.json").is_file():
        print(f"building the demo archive in {archive} ...", flush=True)
        call_command("make_demo_archive", str(archive))
    return json.loads((archive / "demo.json").read_text())


def ingest(layout: str, archive: Path) -> None:
    """The catalogue of one layout only (both hold the same product ids)."""
    from django.core.management import call_command

    from chips.models import Scene

    Scene.objects.all().delete()
    command = "ingest_stac" if layout == "cog" else "ingest_safe"
    call_command(command, str(archive / layout), verbosity=0)


def pick_point(manifest: dict[str, Any], n: int) -> tuple[float, float, dt.date, dt.date, list]:
    """A point of the bbox with the most acquisitions, the window of its first n, and
    those scenes."""
    from chips.catalogue import selection

    w, s, e, north = manifest["bbox_wgs84"]
    start = dt.date.fromisoformat(manifest["start"])
    end = dt.date.fromisoformat(manifest["end"])
    best: tuple = ()
    for fx in (0.3, 0.5, 0.7):
        for fy in (0.3, 0.5, 0.7):
            lon, lat = round(w + (e - w) * fx, 6), round(s + (north - s) * fy, 6)
            scenes = selection.select_scenes(
                lon=lon, lat=lat, chipsize=1280, level="LEVEL2A", start=start, end=end
            )
            if not best or len(scenes) > len(best[2]):
                best = (lon, lat, scenes)
    lon, lat, scenes = best
    scenes = scenes[:n]
    if len(scenes) < n:
        print(f"only {len(scenes)} acquisitions at the best point (asked {n})", flush=True)
    first = scenes[0].sensing_time.astimezone(dt.UTC).date()
    last = scenes[-1].sensing_time.astimezone(dt.UTC).date()
    return lon, lat, first, last, scenes


BENCH_PASSWORD = "bench-password"  # noqa: S105 - a throw-away benchmark user


def bench_user(*, staff: bool = False, password: str = BENCH_PASSWORD) -> dict[str, str]:
    """The benchmark's user (made or reset), and its HTTP Basic header."""
    import base64

    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench")
    user.set_password(password)
    user.is_staff = staff
    user.save()
    token = base64.b64encode(f"bench:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def composite_windows(scenes: list[Any], lon: float, lat: float) -> list[list[Any]]:
    """Per scene, the ChipSpecs of the B08/B04/B03 windows a 1280 m composite reads."""
    from chips.catalogue import planning
    from chips.models import Asset

    return [
        [
            planning.plan_chip(
                scene=scene,
                asset=Asset.objects.get(scene=scene, band=band),
                lon=lon,
                lat=lat,
                chipsize=1280,
            )
            for band in ("B08", "B04", "B03")
        ]
        for scene in scenes
    ]
