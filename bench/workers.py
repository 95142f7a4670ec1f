"""Cold JP2 chips cut by one, then two Celery worker processes, in the same run:

    DATABASE_URL=postgis://... .venv/bin/python bench/workers.py \
        [--archive var/bench/archive] [--broker redis://127.0.0.1:6379/14] [--rounds 3]

It ingests the archive's SAFE (JPEG 2000) L2A products into the database named by
DATABASE_URL (PostGIS: the workers must see it), picks a point with 24 acquisitions and
times cold rawChipByLocation requests (24 chips of 128 px, B04, empty cache and store)
answered by `celery -A cbmweb worker` processes started here (prefork, one child each, a
queue of their own). The same request with no broker (in-process) is timed alongside.
Rounds alternate the set-ups; the median round is reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "var" / "bench"


def start_workers(count: int, *, broker: str, queue: str, store: Path) -> list[subprocess.Popen]:
    # One decode thread per worker: each worker stands for a one-core machine, so that the
    # figure shows what adding a machine adds (one worker would otherwise use both cores
    # of this machine to decode JPEG 2000, leaving a second worker nothing to gain).
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CHIP_STORE": str(store),
        "CHIP_DECODE_THREADS": "1",
    }
    celery = str(Path(sys.executable).parent / "celery")
    procs, logs = [], []
    for i in range(count):
        log = BENCH / f"worker-{queue}-{i}.log"
        log.unlink(missing_ok=True)
        cmd = [celery, "-A", "cbmweb", "worker", "--pool=prefork", "--concurrency=1",
               "-n", f"bench{i}-{queue}@%h", "-Q", queue, "--loglevel=WARNING",
               "-f", str(log), "--without-gossip", "--without-mingle",
               "--without-heartbeat"]  # fmt: skip
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
        logs.append(log)
    # Ready when each answers a ping.
    from chips.tasks import run_unit

    app = run_unit.app
    deadline = time.monotonic() + 60
    while True:
        replies = app.control.ping(timeout=0.5) or []
        names = {n for reply in replies for n in reply}
        if sum(1 for n in names if n.endswith(f"-{queue}@{os.uname().nodename}")) >= count:
            return procs
        if time.monotonic() > deadline:
            stop_workers(procs)
            raise SystemExit("workers did not start: " + " ".join(str(p) for p in logs))


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=BENCH / "archive")
    parser.add_argument(
        "--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chips", type=int, default=24)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        raise SystemExit("set DATABASE_URL to a PostGIS database the workers can reach")
    store = BENCH / "workers-store"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")
    os.environ.setdefault("CBMWEB_DEMO", "1")
    os.environ["CHIP_STORE"] = str(store)
    os.environ["MAX_CHIPS_PER_REQUEST"] = str(args.chips)
    for name in ("QUOTA_REQUESTS_PER_MINUTE", "QUOTA_IP_REQUESTS_PER_MINUTE",
                 "QUOTA_CHIPS_PER_DAY", "QUOTA_IP_CHIPS_PER_DAY"):  # fmt: skip
        os.environ[name] = "0"  # no quotas in a benchmark
    import django

    django.setup()

    from django.test import Client
    from kombu import pools

    from bench.common import bench_user, ingest, load_archive, pick_point
    from chips.raster import extract
    from chips.store.cache import flush_cache
    from chips.tasks import run_unit

    manifest = load_archive(args.archive)
    ingest("safe", args.archive)
    lon, lat, start, end, scenes = pick_point(manifest, args.chips)
    auth = bench_user()
    url = (
        f"/query/rawChipByLocation?lon={lon}&lat={lat}&start_date={start}&end_date={end}"
        f"&band=B04&chipsize=1280"
    )
    app = run_unit.app
    eager = {"broker_url": app.conf.broker_url, "task_always_eager": True}

    def use(queue: str | None) -> None:
        if queue is None:
            app.conf.update(eager)
        else:
            app.conf.update(broker_url=args.broker, task_always_eager=False,
                            task_default_queue=queue)  # fmt: skip
        app._pool = None  # type: ignore[attr-defined]  # Celery's private producer pool
        app.__dict__.pop("amqp", None)
        pools.reset()

    def cold() -> float:
        flush_cache()
        shutil.rmtree(store / "raw", ignore_errors=True)
        extract.band_grid.cache_clear()
        began = time.perf_counter()
        response = Client().get(url, headers=auth)
        took = time.perf_counter() - began
        body = response.json()
        if response.status_code != 200 or len(body["chips"]) != len(scenes):
            raise SystemExit(f"{response.status_code}: {str(body)[:300]}")
        return took

    times: dict[str, list[float]] = {"in-process": [], "1 worker": [], "2 workers": []}
    for count in (1, 2):
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        use(queue)
        procs = start_workers(count, broker=args.broker, queue=queue, store=store)
        try:
            cold()  # warm-up: imports and connections in the workers
            for _ in range(args.rounds):
                times[f"{count} worker{'s' if count > 1 else ''}"].append(cold())
        finally:
            use(None)
            stop_workers(procs)
    cold()
    for _ in range(args.rounds):
        times["in-process"].append(cold())
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(scenes)} cold JP2 chips (128 px, B04) at {lon:.5f} {lat:.5f}, {start}..{end};"
          f" median of {args.rounds} rounds")  # fmt: skip
    for name, value in med.items():
        each = ", ".join(f"{t * 1000:.0f}" for t in times[name])
        print(f"| {name} | {value * 1000:.0f} ms | {each} |")
    print(f"speed-up 2 workers / 1 worker: {med['1 worker'] / med['2 workers']:.2f}x")


if __name__ == "__main__":
    main()
