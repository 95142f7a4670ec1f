"""A whole season on one chip page, in a real browser, one command:

    .venv/bin/python bench/season_page.py [--archive var/bench/archive] [--rounds 3]
        [--port 8141] [--write-doc]

Ingests the demo archive's COG layout into a bench database (SpatiaLite in
var/bench-season), picks the point with the most acquisitions over the whole season, serves
the site as `make demo` does (`manage.py serve_embedded`) on 127.0.0.1:PORT (no broker:
the composite jobs run in the server's process, on its cut pool, as in the demo) and opens
chipsByLocation for the season in Debian's headless Chromium (Playwright), cold (empty
cache and store): the time from the navigation until every chip's image is loaded. More
acquisitions than MAX_CHIPS_PER_REQUEST (24): the page asks for them in successive
windows. The baseline in the same run: the rio-tiler loop of bench/composites.py over the
same acquisitions.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
from bench.composites import riotiler_loop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-season")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--write-doc", action="store_true", help="write docs/benchmarks-season.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    work = args.work.resolve()
    setup_django(work)
    manifest = load_archive(args.archive)
    ingest("cog", args.archive)

    lon, lat, start, end, scenes = pick_point(manifest, 10_000)
    bench_user(staff=True)
    windows = composite_windows(scenes, lon, lat)
    url = (
        f"http://127.0.0.1:{args.port}/query/chipsByLocation?lon={lon}&lat={lat}"
        f"&start_date={start}&end_date={end}&chipsize=1280"
    )
    server = serve(args.port, work)
    try:
        wait_up(args.port)
        page_times, loop_times = browse(url, len(scenes), windows, args.rounds, work)
    finally:
        server.terminate()
        server.wait(timeout=20)
    report = render(args, manifest, len(scenes), (lon, lat, start, end), page_times, loop_times)
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-season.md").write_text(report)


def serve(port: int, work: Path, command: str = "serve_embedded") -> subprocess.Popen[bytes]:
    """The site on loopback with the bench's settings (environment set by setup_django),
    as `make demo` serves it (serve_embedded: runserver on a pool of threads)."""
    env = {**os.environ, "CHIP_STORE": str(work / "store")}
    manage = [sys.executable, str(ROOT / "manage.py")]
    return subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [*manage, command, "--noreload", "--insecure", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up")


def cold_store(work: Path) -> None:
    """Empty cache and store: the records, the raw chips and the PNGs."""
    from chips.models import ChipJob
    from chips.store.cache import flush_cache

    flush_cache()
    ChipJob.objects.all().delete()
    shutil.rmtree(work / "store" / "png", ignore_errors=True)


def browse(
    url: str, count: int, windows: list[list[Any]], rounds: int, work: Path
) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, where Django refuses ORM
    # calls; the bench's own calls between page loads (flush, the loop) are plain sync code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    page_times: list[float] = []
    loop_times: list[float] = []
    auth = base64.b64encode(b"bench:bench-password").decode()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for n in range(rounds + 1):  # the first round warms the server up (imports, pool)
            cold_store(work)
            context = browser.new_context(extra_http_headers={"Authorization": f"Basic {auth}"})
            page = context.new_page()
            began = time.perf_counter()
            page.goto(url)
            page.wait_for_function(
                f"document.querySelectorAll('table.chips img').length === {count} && "
                "Array.from(document.querySelectorAll('table.chips img'))"
                ".every(i => i.complete && i.naturalWidth > 0)",
                timeout=120_000,
                polling=20,
            )
            took = time.perf_counter() - began
            text = page.inner_text("#chip-progress")
            context.close()
            if "could not" in text or "Stopped" in text:
                raise SystemExit(f"the page says: {text}")
            began = time.perf_counter()
            riotiler_loop(windows)
            loop = time.perf_counter() - began
            if n:
                page_times.append(took)
                loop_times.append(loop)
        browser.close()
    return page_times, loop_times


def render(
    args: argparse.Namespace,
    manifest: dict[str, Any],
    count: int,
    where: tuple[Any, ...],
    page_times: list[float],
    loop_times: list[float],
) -> str:
    import rasterio

    page, loop = statistics.median(page_times), statistics.median(loop_times)
    lon, lat, start, end = where
    return "\n".join(
        [
            "# A season on one chip page (browser)",
            "",
            f"`bench/season_page.py` on the demo archive (`{manifest['aoi']}`, COG layout, "
            f"{manifest.get('size_px', '?')} px per 10 m band); {args.rounds} cold rounds "
            f"after a warm-up, the median. {platform.machine()}, {os.cpu_count()} cores "
            f"shared with other jobs, Python {platform.python_version()}, rasterio "
            f"{rasterio.__version__}, GDAL {rasterio.__gdal_version__}; "
            "`manage.py serve_embedded` (as `make demo`), no broker, headless Chromium "
            "(Playwright). Cold: empty cache and store; the time "
            "from the navigation until every chip image is loaded. The page asks for the "
            "window in successive date windows of at most MAX_CHIPS_PER_REQUEST (24) chips.",
            "",
            "| goal | measured | baseline in the same run | met |",
            "|---|---|---|---|",
            f"| a season of ~70 chips (COG) fully shown, cold, < 2 s | {count} chips in "
            f"{page * 1000:.0f} ms | rio-tiler loop for the same {count} composites "
            f"{loop * 1000:.0f} ms ({page / loop:.2f}x) | {'yes' if page < 2 else 'no'} |",
            "",
            "Every round (ms), page / rio-tiler loop: "
            + ", ".join(
                f"{a * 1000:.0f} / {b * 1000:.0f}"
                for a, b in zip(page_times, loop_times, strict=True)
            ),
            "",
            f"Point: ({lon}, {lat}), window {start}..{end}.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
