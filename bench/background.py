"""Background images: cold and warm against their baselines in the same run.

    .venv/bin/python bench/background.py [--work DIR] [--rounds 30]

The demo orthophoto (demo.generator.ortho: 0.5 m JPEG COG in EPSG:28992) as a `file` source.
- cold: backgroundByLocation, 512 px GeoTIFF over 512 m at a new point each round (the
  whole request: parameters, cache records, the read, the GeoTIFF written to the store),
  against rio-tiler `Reader.part` of the same EPSG:3857 bounds at 512 x 512 rendered as
  GeoTIFF bytes (no request, no database, no file written); alternating, medians.
- warm: the same request again (answered from the client's cache) against downloading the
  file it names through /dump/ (a static file served by the same Django).
Prints one JSON line; docs/benchmarks-background.md has the figures.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-background")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BACKGROUND_TILE_CACHE", str(work / "tiles"))
    from bench.common import setup_django

    setup_django(work)
    import numpy as np
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from pyproj import Transformer
    from rio_tiler.io import Reader

    from background.models import BackgroundSource
    from demo.generator.ortho import ortho_bounds, write_ortho
    from demo.generator.site import NATIONAL_EPSG, Site

    call_command("migrate", verbosity=0)
    manifest = {"size_px": 512, "seed": 0, "field_scale": 1.0,
                "bbox_wgs84": list(Site(512).ground_bbox_wgs84())}  # fmt: skip
    ortho = work / "demo_ortho.tif"
    if not ortho.exists():
        write_ortho(ortho, manifest)
    BackgroundSource.objects.update_or_create(
        name="Ortho", defaults={"kind": "file", "url": str(ortho), "is_default": True}
    )
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.set_password("bench-password")
    user.save()
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-password").decode()}
    client = Client()
    call_command("flush_chip_cache", verbosity=0)

    west, south, east, north = ortho_bounds(manifest)
    to_ll = Transformer.from_crs(NATIONAL_EPSG, 4326, always_xy=True)
    to_wm = Transformer.from_crs(4326, 3857, always_xy=True)
    rng = np.random.default_rng(7)
    extend, size = 512.0, 512

    def point() -> tuple[float, float]:
        x = rng.uniform(west + 400, east - 400)
        y = rng.uniform(south + 400, north - 400)
        return to_ll.transform(x, y)

    def url(lon: float, lat: float) -> str:
        return (f"/query/backgroundByLocation?lon={lon:.7f}&lat={lat:.7f}&chipsize={size}"
                f"&extend={extend:g}&iformat=tif")  # fmt: skip

    def baseline(lon: float, lat: float) -> bytes:
        x, y = to_wm.transform(lon, lat)
        bounds = (x - extend / 2, y - extend / 2, x + extend / 2, y + extend / 2)
        with Reader(str(ortho)) as cog:
            img = cog.part(bounds, dst_crs="EPSG:3857", bounds_crs="EPSG:3857",
                           width=size, height=size, resampling_method="bilinear")  # fmt: skip
        return img.render(img_format="GTiff", add_mask=False)

    # Warm-up: GDAL opens, Django's first request, the password check.
    for _ in range(3):
        lon, lat = point()
        client.get(url(lon, lat), headers=auth)
        baseline(lon, lat)

    def ours(lon: float, lat: float) -> None:
        answer = client.get(url(lon, lat), headers=auth)
        assert answer.status_code == 200, answer.content

    cold: list[float] = []
    rio: list[float] = []
    for i in range(args.rounds):
        # Each its own new point; which goes first alternates.
        runs = [(ours, cold), (baseline, rio)]
        for run, times in runs if i % 2 == 0 else runs[::-1]:
            lon, lat = point()
            began = time.perf_counter()
            run(lon, lat)
            times.append(time.perf_counter() - began)
    lon, lat = point()
    link = client.get(url(lon, lat), headers=auth).content.decode()
    dump = link.removeprefix("http://testserver")
    warm, static = [], []
    for _ in range(args.rounds * 5):
        a = time.perf_counter()
        client.get(url(lon, lat), headers=auth)
        b = time.perf_counter()
        response = client.get(dump)
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        c = time.perf_counter()
        warm.append(b - a)
        static.append(c - b)

    def ms(values: list[float]) -> float:
        return round(float(np.median(values)) * 1000, 2)

    print(json.dumps({
        "cold_ms": ms(cold), "rio_tiler_part_ms": ms(rio),
        "cold_ratio": round(ms(cold) / ms(rio), 2),
        "warm_ms": ms(warm), "static_dump_ms": ms(static),
        "warm_ratio": round(ms(warm) / ms(static), 2),
        "rounds": args.rounds, "database": os.environ.get("DATABASE_URL", "").split(":")[0],
        "load": [round(x, 2) for x in os.getloadavg()],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
