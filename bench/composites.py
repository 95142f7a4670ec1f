"""Composite chip benchmark on the demo archive, one command:

    .venv/bin/python bench/composites.py [--archive var/bench/archive] [--work var/bench-composites]
        [--rounds 3] [--write-doc]

Ingests the archive's L2A products (COG layout; the SAFE/JP2 layout too when the archive
has it) into a bench database (SpatiaLite in the work folder unless DATABASE_URL is set),
picks the point with the most acquisitions and the window of its first 24, and times:
  - cold chipsByLocation (empty cache and store): the request, then polling its job (as the
    page does) until the 24 PNGs are in; each PNG needs 4 raw chips (B08 B04 B03 and SCL),
  - warm chipsByLocation: the JSON answer and the HTML page, everything held (p50, p95),
  - the reference, in the same run and rounds: cold and warm rawChipByLocation (B08) for the
    same 24 acquisitions.
Methods alternate within each round; the median round is reported.
"""

from __future__ import annotations

import argparse
import base64
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
from bench.common import BENCH, ingest, load_archive, pick_point, setup_django  # noqa: E402

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
    from django.contrib.auth.models import User
    from django.test import Client

    from chips.cache import flush_cache
    from chips.raster import extract

    ingest(layout, args.archive)
    lon, lat, start, end, scenes = pick_point(manifest, args.chips)
    n = len(scenes)
    user, _ = User.objects.get_or_create(username="bench")
    user.set_password("bench-password")
    user.is_staff = True
    user.save()
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-password").decode()}
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
    rounds: dict[str, list[float]] = {"composite_cold": [], "raw_cold": []}
    warm: dict[str, list[float]] = {"composite_json": [], "composite_page": [], "raw": []}
    for _ in range(args.rounds):
        rounds["raw_cold"].append(cold(lambda: get(raw_url)))
        rounds["composite_cold"].append(cold(composites_done))
        get(raw_url)  # the raw chips held too: warm for both
        for _ in range(args.warm):
            warm["composite_json"].append(timed(lambda: get(composite_url)))
            warm["composite_page"].append(timed(lambda: get(page_url, HTML)))
            warm["raw"].append(timed(lambda: get(raw_url)))
    out: dict[str, Any] = {
        "n": n,
        "png_digest": png_digest(Path(settings.CHIP_STORE) / "png"),
        "point": (lon, lat),
        "window": (str(start), str(end)),
        **{k: statistics.median(v) for k, v in rounds.items()},
    }
    for name, values in warm.items():
        out[f"{name}_p50_ms"] = float(np.percentile(values, 50)) * 1000
        out[f"{name}_p95_ms"] = float(np.percentile(values, 95)) * 1000
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
        "10 ms (as the page polls) until all PNGs are in; each PNG is 4 raw chips (B08 B04 "
        "B03 + SCL for the cloud share) rendered at 128 px. The reference is "
        "rawChipByLocation (B08: 1 raw chip per acquisition) for the same acquisitions, in "
        "the same rounds.",
        "",
        "| layout | acquisitions | cold chipsByLocation | cold rawChipByLocation | ratio "
        "| per composite | warm JSON p50 / p95 | warm page p50 / p95 | warm raw p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for layout, r in results.items():
        lines.append(
            f"| {names[layout]} | {r['n']} | {r['composite_cold'] * 1000:.0f} ms "
            f"| {r['raw_cold'] * 1000:.0f} ms | {r['composite_cold'] / r['raw_cold']:.1f}x "
            f"| {r['composite_cold'] * 1000 / r['n']:.0f} ms "
            f"| {r['composite_json_p50_ms']:.1f} / {r['composite_json_p95_ms']:.1f} ms "
            f"| {r['composite_page_p50_ms']:.1f} / {r['composite_page_p95_ms']:.1f} ms "
            f"| {r['raw_p50_ms']:.1f} / {r['raw_p95_ms']:.1f} ms |"
        )
    lines.append("")
    for layout, r in results.items():
        lines.append(
            f"Point ({names[layout]}): {r['point']}, window {r['window']}; "
            f"PNGs sha256 {r['png_digest']}."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
