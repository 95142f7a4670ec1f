"""The warm raw path in process, for an A/B of two source trees on a loaded machine:

    .venv/bin/python bench/warm.py [--tree DIR] [--archive var/bench/archive]
        [--work DIR] [--requests 300] [--composites]

Runs DIR's code (default: this tree) on the demo archive's COG layout (SpatiaLite in the work
folder), picks the point with 24 acquisitions (bench.common), cuts its 24 B04 chips once,
then times, alternating: the warm rawChipByLocation through the Django test client (HTTP
Basic, every chip held) and `select_scenes` alone for the same square. Prints one JSON line:
p50 / p25 / p75 in ms of each. Run it for both trees one after the other, several times,
and compare medians: bench/chips.py's warm figure is 60 requests between cold rounds, too few
on a shared machine. --composites times the warm chipsByLocation JSON answer instead (24
composites, all held; the page's polls and reloads ask it), `select_scenes` beside it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tree", type=Path, default=here, help="source tree to run")
    parser.add_argument("--archive", type=Path, default=here / "var" / "bench" / "archive")
    parser.add_argument("--work", type=Path, default=None, help="default: <tree>/var/bench-warm")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--composites", action="store_true", help="chipsByLocation JSON")
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    work = (args.work or tree / "var" / "bench-warm").resolve()
    work.mkdir(parents=True, exist_ok=True)
    from bench.common import ingest, load_archive, pick_point, setup_django

    setup_django(work)
    import numpy as np
    from django.contrib.auth.models import User
    from django.test import Client

    from chips.catalogue import selection

    manifest = load_archive(args.archive.resolve())
    ingest("cog", args.archive.resolve())
    lon, lat, start, end, scenes = pick_point(manifest, 24)
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
    if args.composites:
        url = f"/query/chipsByLocation?lon={lon}&lat={lat}&start_date={start}&end_date={end}"
        auth["Accept"] = "application/json"
        held_all(client, url, auth, len(scenes))
    first = client.get(url, headers=auth)
    assert first.status_code == 200 and len(first.json()["chips"]) == len(scenes), first.content
    for _ in range(20):  # warm: caches, connections, the password check
        client.get(url, headers=auth)

    def select() -> None:
        selection.select_scenes(
            lon=lon, lat=lat, chipsize=1280, level="LEVEL2A", start=start, end=end
        )

    warm: list[float] = []
    picks: list[float] = []
    for _ in range(args.requests):
        began = time.perf_counter()
        client.get(url, headers=auth)
        warm.append(time.perf_counter() - began)
        began = time.perf_counter()
        select()
        picks.append(time.perf_counter() - began)

    def quartiles(values: list[float]) -> list[float]:
        return [round(float(np.percentile(values, q)) * 1000, 2) for q in (50, 25, 75)]

    print(
        json.dumps(
            {
                "tree": str(tree),
                "kind": "composites" if args.composites else "raw",
                "chips": len(scenes),
                "warm_ms": quartiles(warm),
                "select_scenes_ms": quartiles(picks),
                "load": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


def held_all(client: Any, url: str, auth: dict[str, str], expected: int) -> None:
    """Ask until the page's job has made every composite."""
    deadline = time.monotonic() + 600
    while (body := client.get(url, headers=auth).json()).get("state") == "running":
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body.get("state") == "done" and len(body["chips"]) == expected, body


if __name__ == "__main__":
    main()
