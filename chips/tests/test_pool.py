"""The in-process cut pool's workers leave when the process that owns them is killed
(runserver stopped with a signal, a web worker killed): no orphan keeps running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

OWNER = """
import os, sys, time
import django
django.setup()
from chips.work.pool import cut_pool
pool = cut_pool()
list(pool.map(int, [0, 1]))  # start the workers
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it runs nothing.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def test_pool_workers_exit_when_their_owner_is_killed(tmp_path: Path) -> None:
    env = {**os.environ, "CBMWEB_DEMO": "1", "CBMWEB_VAR_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "cbmweb.settings"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(alive(pid) for pid in workers)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in workers)
    finally:
        owner.kill()
        owner.wait()
