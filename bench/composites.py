"""Composite chip benchmark on the demo archive, one command:

    .venv/bin/python bench/composites.py [--archive var/bench/archive] [--work var/bench-composites]
        [--rounds 3] [--write-doc]

Ingests the archive's L2A products (COG layout; the SAFE/JP2 layout too when the archive
has it) into a bench database (SpatiaLite in the work folder unless DATABASE_URL is set),
picks the point with the most acquisitions and the window of its first 24, and times:
  - cold chipsByLocation (empty cache and store): the request, then polling its job (as the
    page does) until the 24 PNGs are in; each PNG needs 4 raw chips (B08 B04 B03 and SCL),
  - warm chipsByLocation: the JSON answer and the HTML page, everything held (p50, p95),
  - the baseline, in the same run and rounds: what a rio-tiler user writes for the same 24
    composites (per acquisition three `Reader.part` reads on the native grid, a 5-95
    percentile stretch, `ImageData.render` to PNG), on the same layout's files,
  - the reference: cold and warm rawChipByLocation (B08) for the same 24 acquisitions,
  - the PNG encodings of the 24 composites made (zlib level, filter, optimize): time, size.
Methods alternate within each round; the median round is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import (  # noqa: E402
    BENCH,
    bench_user,
    composite_windows,
    ingest,
    load_archive,
    pick_point,
    setup_django,
)

HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-composites")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20, help="warm requests per round")
    parser.add_argument("--chips", type=int, default=24)
    parser.add_argument(
        "--write-doc", action="store_true", help="write docs/benchmarks-composites.md"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    setup_django(args.work.resolve())

    manifest = load_archive(args.archive)
    layouts = [x for x in ("cog", "safe") if (args.archive / x).is_dir()]
    results = {layout: bench_layout(layout, args, manifest) for layout in layouts}
    report = render(results, args, manifest)
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-composites.md").write_text(report)


def bench_layout(layout: str, args: argparse.Namespace, manifest: dict) -> dict[str, Any]:
    import numpy as np
    from django.conf import settings
    from django.test import Client

    from chips.raster import extract
    from chips.store.cache import flush_cache

    ingest(layout, args.archive)
    lon, lat, start, end, scenes = pick_point(manifest, args.chips)
    n = len(scenes)
    windows = composite_windows(scenes, lon, lat)
    auth = bench_user(staff=True)
    client = Client()
    where = f"lon={lon}&lat={lat}&start_date={start}&end_date={end}&chipsize=1280"
    page_url = f"/query/chipsByLocation?{where}"
    composite_url = f"{page_url}&format=json"
    raw_url = f"/query/rawChipByLocation?{where}&band=B08"

    def get(url: str, accept: str = "*/*") -> Any:
        response = client.get(url, headers={**auth, "Accept": accept})
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}: {response.content[:300]!r}")
        return response

    def composites_done() -> dict:
        """The request, then its job polled (every 10 ms) until every PNG is in."""
        body = get(composite_url).json()
        poll = f"{composite_url}&job={body['job']}"
        while body["state"] == "running":
            time.sleep(0.01)
            body = get(poll).json()
        if body["state"] != "done" or sum(1 for i in body["items"] if i["src"]) != n:
            raise SystemExit(f"composites: {body['state']} {body.get('error')}")
        return body

    def cold(fn: Any) -> float:
        flush_cache()
        # The flush deletes raw chips only (store/raw): the PNGs go here.
        shutil.rmtree(Path(settings.CHIP_STORE) / "png", ignore_errors=True)
        extract.band_grid.cache_clear()
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    def timed(fn: Any) -> float:
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    composites_done()  # first requests: imports, connections, file headers
    get(raw_url)
    rounds: dict[str, list[float]] = {"composite_cold": [], "raw_cold": [], "riotiler": []}
    warm: dict[str, list[float]] = {"composite_json": [], "composite_page": [], "raw": []}
    riotiler_loop(windows)  # its imports and first opens, once
    for _ in range(args.rounds):
        rounds["riotiler"].append(timed(lambda: riotiler_loop(windows)))
        rounds["raw_cold"].append(cold(lambda: get(raw_url)))
        rounds["composite_cold"].append(cold(composites_done))
        get(raw_url)  # the raw chips held too: warm for both
        for _ in range(args.warm):
            warm["composite_json"].append(timed(lambda: get(composite_url)))
            warm["composite_page"].append(timed(lambda: get(page_url, HTML)))
            warm["raw"].append(timed(lambda: get(raw_url)))
    out: dict[str, Any] = {
        "n": n,
        "rounds": rounds,
        "png": png_encodings(Path(settings.CHIP_STORE) / "png"),
        "png_digest": png_digest(Path(settings.CHIP_STORE) / "png"),
        "point": (lon, lat),
        "window": (str(start), str(end)),
        **{k: statistics.median(v) for k, v in rounds.items()},
    }
    for name, values in warm.items():
        out[f"{name}_p50_ms"] = float(np.percentile(values, 50)) * 1000
        out[f"{name}_p95_ms"] = float(np.percentile(values, 95)) * 1000
    return out


def riotiler_loop(windows: list[list[Any]]) -> list[bytes]:
    """The baseline: per acquisition, its three band windows read with rio-tiler's
    Reader.part on the native grid, each band stretched between its 5th and 95th percentile
    of the pixels valid in all three, rendered to PNG by ImageData.render."""
    import numpy as np
    from rio_tiler.io import Reader
    from rio_tiler.models import ImageData

    from chips.raster.gdal_env import gdal_path

    pngs = []
    for specs in windows:
        parts = []
        for spec in specs:
            with Reader(gdal_path(spec.href)) as cog:
                parts.append(
                    cog.part(
                        spec.bounds,
                        dst_crs=cog.crs,
                        bounds_crs=cog.crs,
                        max_size=None,
                        width=spec.size_x,
                        height=spec.size_y,
                    )
                )
        image = ImageData.create_from_list(parts)
        valid = ~np.ma.getmaskarray(image.array).any(axis=0)
        ranges: list[tuple[float, float]] = []
        for band in np.ma.getdata(image.array):
            lo, hi = np.percentile(band[valid], [5, 95])
            ranges.append((float(lo), float(hi)))
        pngs.append(image.rescale(in_range=ranges).render(img_format="PNG"))
    return pngs


# The encodings tried on the composites made (Pillow): zlib level and strategy, and
# optimize (level 9 with the best filter search). Pillow picks the filter per row itself.
PNG_ENCODINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("level 1", {"compress_level": 1}),
    ("level 3", {"compress_level": 3}),
    ("level 6 (zlib default)", {"compress_level": 6}),
    ("level 9", {"compress_level": 9}),
    ("optimize", {"optimize": True}),
    ("level 1, Z_RLE", {"compress_level": 1, "compress_type": 3}),
    ("level 6, Z_RLE (the service's)", {"compress_level": 6, "compress_type": 3}),
)


def png_encodings(folder: Path, repeat: int = 5) -> list[tuple[str, float, int]]:
    """(encoding, ms per PNG, total bytes) for the PNGs made, re-encoded from their pixels
    (PNG is lossless: the same image) with their text chunks."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    images = []
    for path in sorted(folder.rglob("*.png")):
        with Image.open(path) as img:
            img.load()
            info = PngInfo()
            for key, value in getattr(img, "text", {}).items():  # a PngImageFile's chunks
                info.add_text(key, value)
            images.append((img.copy(), info))
    out = []
    for name, options in PNG_ENCODINGS:
        began = time.perf_counter()
        size = 0
        for _ in range(repeat):
            size = 0
            for image, info in images:
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", pnginfo=info, **options)
                size += buffer.tell()
        took = (time.perf_counter() - began) / repeat / max(1, len(images))
        out.append((name, took * 1000, size))
    return out


def png_digest(folder: Path) -> str:
    """One hash of every PNG made (names and bytes): a change that should not alter the
    output (a faster path) must leave it as it was."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.png")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def render(results: dict, args: argparse.Namespace, manifest: dict) -> str:
    import rasterio

    names = {"cog": "COG", "safe": "SAFE/JP2"}
    lines = [
        "# Composite chip benchmark",
        "",
        f"`bench/composites.py` on the demo archive (`{manifest['aoi']}`, tiles "
        f"{', '.join(manifest['tiles'])}, {manifest.get('size_px', '?')} px per 10 m band, "
        f"{manifest['start']}..{manifest['end']}); {args.rounds} rounds, the median round; "
        f"warm = {args.warm} requests per round. {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs, Python {platform.python_version()}, "
        f"rasterio {rasterio.__version__}, GDAL {rasterio.__gdal_version__}; no broker (the "
        "composite job runs in a thread of the web process, as in the demo).",
        "",
        "Cold chipsByLocation: empty cache and store, the request, then its job polled every "
        "10 ms (as the page polls) until all PNGs are in; each PNG is made from 4 source "
        "windows (B08 B04 B03 + SCL for the cloud share) read straight from the band files "
        "on the cut pool and rendered at 128 px. The baseline, in the same rounds: the "
        "rio-tiler loop (per acquisition three `Reader.part` reads on the native grid, a "
        "5-95 percentile stretch, `ImageData.render` to PNG; no SCL) on the same layout's "
        "files. The reference is cold rawChipByLocation (B08: 1 raw chip per acquisition).",
        "",
        "| goal | moonshot | measured | met |",
        "|---|---|---|---|",
    ]
    for layout, r in results.items():
        ratio = r["composite_cold"] / r["riotiler"]
        goal = 1.0
        lines.append(
            f"| cold {r['n']} composites, {names[layout]} / rio-tiler loop <= {goal:.1f}x "
            f"| {'0.5x' if layout == 'cog' else '-'} | {ratio:.2f}x "
            f"| {'yes' if ratio <= goal else 'no'}"
            f"{' (moonshot too)' if layout == 'cog' and ratio <= 0.5 else ''} |"
        )
    lines += [
        "",
        "| layout | acquisitions | cold chipsByLocation | rio-tiler loop | ratio "
        "| cold rawChipByLocation | per composite | warm JSON p50 / p95 | warm page p50 / p95 "
        "| warm raw p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for layout, r in results.items():
        lines.append(
            f"| {names[layout]} | {r['n']} | {r['composite_cold'] * 1000:.0f} ms "
            f"| {r['riotiler'] * 1000:.0f} ms | {r['composite_cold'] / r['riotiler']:.2f}x "
            f"| {r['raw_cold'] * 1000:.0f} ms "
            f"| {r['composite_cold'] * 1000 / r['n']:.0f} ms "
            f"| {r['composite_json_p50_ms']:.1f} / {r['composite_json_p95_ms']:.1f} ms "
            f"| {r['composite_page_p50_ms']:.1f} / {r['composite_page_p95_ms']:.1f} ms "
            f"| {r['raw_p50_ms']:.1f} / {r['raw_p95_ms']:.1f} ms |"
        )
    lines += ["", "Every round (ms): cold chipsByLocation / rio-tiler loop / cold raw.", ""]
    for layout, r in results.items():
        cols = [r["rounds"][k] for k in ("composite_cold", "riotiler", "raw_cold")]
        cells = ", ".join(
            " / ".join(f"{v * 1000:.0f}" for v in vals) for vals in zip(*cols, strict=True)
        )
        lines.append(f"- {names[layout]}: {cells}")
    first = next(iter(results.values()))
    base = dict((name, size) for name, _, size in first["png"])["level 6 (zlib default)"]
    lines += [
        "",
        f"PNG encodings of the {first['n']} composites made (Pillow "
        f"{_pillow_version()}, re-encoded from their pixels; size against zlib's default "
        "level 6). The service encodes with `chips.raster.render.PNG_SAVE_OPTIONS`.",
        "",
        "| encoding | per PNG | total size | size vs level 6 |",
        "|---|---|---|---|",
    ]
    for name, ms, size in first["png"]:
        lines.append(f"| {name} | {ms:.2f} ms | {size / 1024:.0f} KiB | {size / base:.3f} |")
    lines.append("")
    for layout, r in results.items():
        lines.append(
            f"Point ({names[layout]}): {r['point']}, window {r['window']}; "
            f"PNGs sha256 {r['png_digest']}."
        )
    return "\n".join(lines) + "\n"


def _pillow_version() -> str:
    import PIL

    return PIL.__version__


if __name__ == "__main__":
    main()
