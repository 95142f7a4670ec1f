"""extract_signatures on Celery workers: 1 worker against 2, one command:

    DATABASE_URL=postgis://... .venv/bin/python bench/timeseries_workers.py [--rounds 2]

Runs on the one dataset of the bench database named by DATABASE_URL: the one
bench/timeseries.py leaves (the demo parcels, SAFE/JP2 last) or bench/timeseries_bulk.py's
(100,000 parcels, COG). Each worker is one prefork child with one decode thread
(CHIP_DECODE_THREADS=1: a one-core machine, as bench/workers.py); the workers are started
before the clock starts. Rounds alternate 1 and 2 workers; medians reported. Each round
also counts where the machine's CPU went: the workers' own processes (their CPU times,
read when they exit) and everything else (the database's backends, the broker, this
command) from /proc/stat.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgis"):
        raise SystemExit("set DATABASE_URL to the PostGIS bench database")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")
    os.environ.setdefault("CBMWEB_DEMO", "1")
    os.environ["CELERY_BROKER_URL"] = args.broker
    import django

    django.setup()
    from django.core.management import call_command

    from bench.workers import start_workers, stop_workers
    from chips.models import Signature, SignatureExtraction
    from parcels.models import ParcelDataset

    dataset = ParcelDataset.objects.get()
    store = ROOT / "var" / "bench-ts" / "worker-store"
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    rows = 0
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for count in (1, 2):
            SignatureExtraction.objects.filter(dataset=dataset).delete()
            Signature.objects.all().delete()
            queue = f"ts-{uuid.uuid4().hex[:6]}"
            os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
            from chips.tasks import run_unit

            run_unit.app.conf.task_default_queue = queue
            procs = start_workers(count, broker=args.broker, queue=queue, store=store)
            before_busy, before_children = busy_seconds(), children_seconds()
            try:
                t = time.perf_counter()
                out = io.StringIO()
                call_command("extract_signatures", "--aoi", dataset.aoi, "--year",
                             str(dataset.year), stdout=out, stderr=io.StringIO())  # fmt: skip
                times[count].append(time.perf_counter() - t)
            finally:
                stop_workers(procs)
            workers_cpu = children_seconds() - before_children
            cpu[count].append((workers_cpu, busy_seconds() - before_busy - workers_cpu))
            rows = Signature.objects.count()
            load.append(os.getloadavg()[0])
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"extract_signatures, {dataset}: {rows} rows")
    print(f"1 worker: {one:.1f} s ({rows / one:,.0f} rows/s); 2 workers: {two:.1f} s "
          f"({rows / two:,.0f} rows/s): {one / two:.2f}x")  # fmt: skip
    print("rounds:", {k: [round(v, 1) for v in vs] for k, vs in times.items()})
    for count, spent in cpu.items():
        print(f"{count} worker(s), CPU s per round (workers, everything else): "
              + ", ".join(f"({w:.0f}, {o:.0f})" for w, o in spent))  # fmt: skip
    print("load:", ", ".join(f"{x:.2f}" for x in load))


if __name__ == "__main__":
    main()
