"""Write a `make load` run (locust CSV summaries of gunicorn and runserver) into
docs/benchmarks.md, between the load markers; exit 1 if any request failed."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "benchmarks.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
SERVERS = ("gunicorn", "runserver")


def read_stats(folder: Path, label: str) -> dict[str, dict[str, str]]:
    with (folder / f"{label}_stats.csv").open() as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def section(folder: Path, *, users: int, seconds: int, workers: int) -> tuple[str, int]:
    stats = {label: read_stats(folder, label) for label in SERVERS}
    names = [n for n in stats["gunicorn"] if n != "Aggregated"] + ["Aggregated"]
    failures = sum(int(stats[s][n]["Failure Count"]) for s in SERVERS for n in stats[s])
    rows = []
    for name in names:
        cells = [name]
        for label in SERVERS:
            row = stats[label].get(name)
            if row is None:
                cells += ["-"] * 3
                continue
            cells += [
                f"{float(row['Requests/s']):.1f}",
                f"{row['50%']} / {row['99%']}",
                f"{row['Request Count']} ({row['Failure Count']} failed)",
            ]
        rows.append("| " + " | ".join(cells) + " |")
    load = {s: (folder / f"{s}.loadavg").read_text().split()[0] for s in SERVERS}
    text = "\n".join(
        [
            START,
            f"## Load (`make load`, {dt.date.today().isoformat()})",
            "",
            f"locust headless, {users} clients without think time, {seconds} s each, spawn "
            f"rate 4/s, on loopback against `make serve` (gunicorn, {workers} sync workers, "
            "deploy/gunicorn.conf.py) and then `runserver` (one process, threads) on the same "
            "demo data, quotas off, chips and composites cut once before (cached answers). "
            f"Load average at the end: gunicorn run {load['gunicorn']}, runserver run "
            f"{load['runserver']}. The issue's earlier figures (gunicorn -w 4): cached raw "
            "chips 59 requests/s, parcelByLocation 87 requests/s, each endpoint alone; here the "
            "clients mix the three endpoints evenly (each row is a third of the mix) and "
            "locust shares the machine's cores with the server.",
            "",
            "| endpoint | gunicorn req/s | p50 / p99 ms | requests | runserver req/s | "
            "p50 / p99 ms | requests |",
            "|---|---|---|---|---|---|---|",
            *rows,
            END,
        ]
    )
    return text, failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args()
    text, failures = section(
        args.folder, users=args.users, seconds=args.seconds, workers=args.workers
    )
    doc = DOC.read_text()
    if START in doc and END in doc:
        doc = doc[: doc.index(START)] + text + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip() + "\n\n" + text + "\n"
    DOC.write_text(doc)
    print(text)
    if failures:
        print(f"{failures} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
