"""Raw chip benchmark on the demo archive, one command:

    .venv/bin/python bench/chips.py [--archive var/bench/archive] [--work var/bench]
        [--rounds 3] [--write-doc]

For the COG and the SAFE/JP2 layout in turn, it ingests the archive's L2A products into a
bench database (SpatiaLite in the work folder unless DATABASE_URL is set), picks a point with
at least 24 acquisitions, and times, over the same 24 windows of 128 px (B04, 1280 m):
  - cold rawChipByLocation (empty cache, through the whole Django stack with HTTP Basic),
  - warm rawChipByLocation (everything cached; p50 of repeated requests),
  - a plain rasterio loop (open, windowed read, close) and rio-tiler's Reader.part loop.
Methods alternate within each round, so the OS page cache treats them alike; the median
round is reported, with the ratios the goals are stated in.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import BENCH, ingest, load_archive, pick_point, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    # The database and the chip store (flushed between cold requests): a folder of its own
    # per concurrent run, so that two benches never flush each other's store.
    parser.add_argument("--work", type=Path, default=BENCH)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20, help="warm requests per round")
    parser.add_argument("--chips", type=int, default=24)
    parser.add_argument("--write-doc", action="store_true", help="write docs/benchmarks-chips.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    setup_django(args.work.resolve())

    manifest = load_archive(args.archive)

    results = {}
    load = [os.getloadavg()[0]]
    for layout in ("cog", "safe"):
        results[layout] = bench_layout(layout, args, manifest)
        load.append(os.getloadavg()[0])
    report = render(results, args, manifest, load)
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-chips.md").write_text(report)


def bench_layout(layout: str, args: argparse.Namespace, manifest: dict) -> dict:
    import numpy as np
    import rasterio
    from django.contrib.auth.models import User
    from django.test import Client
    from rasterio.windows import Window
    from rio_tiler.io import Reader

    from chips.catalogue import planning
    from chips.models import Asset
    from chips.raster import extract
    from chips.raster.gdal_env import gdal_path
    from chips.store.cache import flush_cache

    ingest(layout, args.archive)
    lon, lat, start, end, scenes = pick_point(manifest, args.chips)
    specs = []
    for scene in scenes:
        asset = Asset.objects.get(scene=scene, band="B04")
        specs.append(planning.plan_chip(scene=scene, asset=asset, lon=lon, lat=lat, chipsize=1280))

    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.set_password("bench-password")
    user.is_staff = True
    user.save()
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-password").decode()}
    client = Client()
    url = (
        f"/query/rawChipByLocation?lon={lon}&lat={lat}&start_date={start}&end_date={end}"
        f"&band=B04&chipsize=1280"
    )

    def request() -> dict:
        response = client.get(url, headers=auth)
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")
        return response.json()

    def plain_rasterio() -> None:
        for spec in specs:
            with rasterio.open(gdal_path(spec.href)) as src:
                src.read(1, window=Window(spec.col_off, spec.row_off, spec.size_x, spec.size_y))

    def rio_tiler() -> None:
        for spec in specs:
            with Reader(gdal_path(spec.href)) as cog:
                cog.part(
                    spec.bounds,
                    dst_crs=cog.crs,
                    bounds_crs=cog.crs,
                    max_size=None,
                    width=spec.size_x,
                    height=spec.size_y,
                )

    def cold() -> float:
        flush_cache()
        extract.band_grid.cache_clear()
        began = time.perf_counter()
        answer = request()
        took = time.perf_counter() - began
        assert len(answer["chips"]) == len(specs), answer
        return took

    def timed(fn: Callable[[], object]) -> float:
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    # First request, cold: imports, connections, the file headers of the archive and the
    # in-process cut pool's worker processes (started by a process's first job): once.
    flush_cache()
    request()
    rounds: dict[str, list[float]] = {"cold": [], "rasterio": [], "riotiler": []}
    warm: list[float] = []
    for _ in range(args.rounds):
        rounds["rasterio"].append(timed(plain_rasterio))
        rounds["riotiler"].append(timed(rio_tiler))
        rounds["cold"].append(cold())
        for _ in range(args.warm):
            warm.append(timed(request))
    med = {k: statistics.median(v) for k, v in rounds.items()}
    return {
        "n": len(specs),
        "point": (round(lon, 5), round(lat, 5)),
        "window": (str(start), str(end)),
        "rounds": rounds,
        "cold_s": med["cold"],
        "rasterio_s": med["rasterio"],
        "riotiler_s": med["riotiler"],
        "warm_p50_ms": float(np.percentile(warm, 50)) * 1000,
        "warm_p95_ms": float(np.percentile(warm, 95)) * 1000,
    }


def render(results: dict, args: argparse.Namespace, manifest: dict, load: list[float]) -> str:
    import platform

    import rasterio

    cog, jp2 = results["cog"], results["safe"]
    lines = [
        "# Raw chip benchmark",
        "",
        "`bench/chips.py` on the demo archive "
        f"(`{manifest['aoi']}`, tiles {', '.join(manifest['tiles'])}, "
        f"{manifest['size_px']} px per 10 m band, {manifest['start']}..{manifest['end']}); "
        f"{args.rounds} rounds, the median round; warm = {args.warm} requests per round. "
        f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"Python {platform.python_version()}, rasterio {rasterio.__version__}, "
        f"GDAL {rasterio.__gdal_version__}. Load average (1 min) at the start, between the "
        f"layouts and at the end: {', '.join(f'{x:.2f}' for x in load)}.",
        "",
        "Each figure is the time for the same 24 windows of 128 px (B04, 1280 m), one per "
        "acquisition; rawChipByLocation goes through the whole Django stack (HTTP Basic, "
        "scene selection, cache look-up, GeoTIFF writing, job row and cache records).",
        "",
        "| layout | chips | cold rawChipByLocation | plain rasterio loop "
        "| rio-tiler Reader.part loop | warm p50 | warm p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in (("COG", cog), ("SAFE/JP2", jp2)):
        lines.append(
            f"| {name} | {r['n']} | {r['cold_s'] * 1000:.0f} ms | {r['rasterio_s'] * 1000:.0f} ms "
            f"| {r['riotiler_s'] * 1000:.0f} ms | {r['warm_p50_ms']:.1f} ms "
            f"| {r['warm_p95_ms']:.1f} ms |"
        )
    worst_warm = max(cog["warm_p50_ms"], jp2["warm_p50_ms"])
    goals = [  # (what, measured, its text, goal, moonshot)
        ("cold COG / rio-tiler loop", cog["cold_s"] / cog["riotiler_s"], "x", 1.0, 0.5),
        ("cold JP2 / plain rasterio loop", jp2["cold_s"] / jp2["rasterio_s"], "x", 0.8, None),
        ("warm p50 in-process (worse layout)", worst_warm, " ms", 8.0, 5.0),
    ]
    lines += ["", "| ratio | goal | moonshot | measured | met |", "|---|---|---|---|---|"]
    for label, value, unit, target, moon in goals:
        met = "yes" if value <= target else "no"
        if moon is not None and value <= moon:
            met += " (moonshot too)"
        lines.append(
            f"| {label} | <= {target:g}{unit} | {f'<= {moon:g}{unit}' if moon else '-'} "
            f"| {value:.2f}{unit} | {met} |"
        )
    lines += ["", "Every round (ms): cold / plain rasterio / rio-tiler.", ""]
    for name, r in (("COG", cog), ("SAFE/JP2", jp2)):
        cols = [r["rounds"][k] for k in ("cold", "rasterio", "riotiler")]
        lines.append(
            f"- {name}: "
            + ", ".join(" / ".join(f"{c[i] * 1000:.0f}" for c in cols) for i in range(len(cols[0])))
        )
    lines += [
        "",
        f"Points: COG {cog['point']} {cog['window']}; JP2 {jp2['point']} {jp2['window']}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
