"""The embedded default over HTTP, one command:

    .venv/bin/python bench/embedded.py [--archive var/bench/archive] [--requests 200]
        [--port 8143] [--write-doc]

Serves the site on SpatiaLite (var/bench-embedded, no broker) on 127.0.0.1:PORT, with plain
`manage.py runserver` and with `serve_embedded` (what `make demo` runs), and times, over an
HTTP client (urllib, a new connection per request, as a script does), alternating:
  - a warm rawChipByLocation (24 chips, all held; HTTP Basic),
  - the baseline: a static file from the same server (the admin's base.css),
  - a /dump/ 404 (the request log writes its row) and a 401 (no credentials).
p50 / p95 of each, and the ratios the goals are stated in.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import (  # noqa: E402
    BENCH,
    bench_user,
    ingest,
    load_archive,
    pick_point,
    setup_django,
)
from bench.season_page import serve, wait_up  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-embedded")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8143)
    parser.add_argument(
        "--write-doc", action="store_true", help="write docs/benchmarks-embedded.md"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    work = args.work.resolve()
    setup_django(work)
    manifest = load_archive(args.archive)
    ingest("cog", args.archive)

    lon, lat, start, end, scenes = pick_point(manifest, 24)
    auth = bench_user()
    base = f"http://127.0.0.1:{args.port}"
    urls = {
        "warm raw chips (24)": (
            f"{base}/query/rawChipByLocation?lon={lon}&lat={lat}&start_date={start}"
            f"&end_date={end}&band=B04&chipsize=1280",
            auth,
        ),
        "static file": (f"{base}/static/admin/css/base.css", {}),
        "/dump/ 404": (f"{base}/dump/{'a' * 32}/nothing.tif", {}),
        "401 (no credentials)": (f"{base}/query/rawChipByLocation?lon={lon}&lat={lat}", {}),
    }
    results = {}
    for command in ("runserver", "serve_embedded"):
        results[command] = measure(command, args.port, work, urls, args.requests)
    report = render(args, results, len(scenes))
    print(report)
    if args.write_doc:
        (ROOT / "docs" / "benchmarks-embedded.md").write_text(report)


def measure(
    command: str, port: int, work: Path, urls: dict[str, tuple[str, dict[str, str]]], rounds: int
) -> dict[str, list[float]]:
    server = serve(port, work, command)
    times: dict[str, list[float]] = {name: [] for name in urls}
    try:
        wait_up(port)
        expected = dict(zip(urls, (200, 200, 404, 401), strict=True))
        for name, (url, headers) in urls.items():  # warm: the chips cut, the files read
            for _ in range(3):
                status = fetch(url, headers)
            if status != expected[name]:
                raise SystemExit(f"{name}: {status}, expected {expected[name]}")
        for _ in range(rounds):
            for name, (url, headers) in urls.items():
                began = time.perf_counter()
                fetch(url, headers)
                times[name].append(time.perf_counter() - began)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return times


def fetch(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def render(args: argparse.Namespace, results: dict[str, dict[str, list[float]]], chips: int) -> str:
    lines = [
        "# The embedded default over HTTP",
        "",
        f"`bench/embedded.py`: SpatiaLite, no broker, `--noreload --insecure`; plain "
        "`runserver` (a thread and a new database connection per request) against "
        "`serve_embedded` (what `make demo` runs: runserver on a pool of 8 threads that keep "
        f"their connection); {args.requests} rounds, the four requests alternating, a new "
        f"HTTP connection each (urllib). {platform.machine()}, {os.cpu_count()} cores shared "
        f"with other jobs, Python {platform.python_version()}.",
        "",
        "| server | goal | measured | baseline in the same run | met |",
        "|---|---|---|---|---|",
    ]
    tables = []
    for command, times in results.items():
        p50 = {k: float(np.percentile(v, 50)) * 1000 for k, v in times.items()}
        p95 = {k: float(np.percentile(v, 95)) * 1000 for k, v in times.items()}
        ratio = p50["warm raw chips (24)"] / p50["static file"]
        lines.append(
            f"| {command} | warm rawChipByLocation ({chips} chips) <= 4x a static file "
            f"| {p50['warm raw chips (24)']:.1f} ms p50 | static file {p50['static file']:.1f} "
            f"ms: **{ratio:.1f}x** | {'yes' if ratio <= 4 else 'no'} |"
        )
        tables += ["", f"{command}:", "", "| request | p50 | p95 |", "|---|---|---|"]
        tables += [f"| {name} | {p50[name]:.1f} ms | {p95[name]:.1f} ms |" for name in times]
    return "\n".join(lines + tables) + "\n"


if __name__ == "__main__":
    main()
