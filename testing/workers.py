"""Real `celery -A cbmweb worker` processes for a test: prefork, one child each, a queue of
their own, the test database and a chip store shared with them; and the switch that sends
this process's tasks to their broker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from django.db import connection
from kombu import pools as kombu_pools

from chips.tasks import run_unit
from testing import ROOT


class Worker:
    """One `celery worker` process (prefork, one child) and its log file."""

    def __init__(self, name: str, log: Path, proc: subprocess.Popen) -> None:
        self.name, self.log, self.proc = name, log, proc

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self) -> list[int]:
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        return pids


def start_workers(
    *, broker: str, count: int, queue: str, store: Path, folder: Path
) -> list[Worker]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "CBMWEB_DEMO": "1",
        "DATABASE_URL": (
            f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "CHIP_STORE": str(store),
    }
    if broker.startswith("amqp"):
        # Celery 5 has no amqp:// result backend (the settings default it to the broker URL).
        env["CELERY_RESULT_BACKEND"] = "rpc://"
    celery = str(Path(sys.executable).parent / "celery")
    workers = []
    for i in range(count):
        name = f"w{i}-{queue}"
        log = folder / f"{name}.log"
        cmd = [celery, "-A", "cbmweb", "worker", "--pool=prefork", "--concurrency=1",
               "-n", f"{name}@%h", "-Q", queue, "--loglevel=INFO", "-f", str(log),
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        workers.append(Worker(name, log, proc))
    deadline = time.monotonic() + 60
    while not all(" ready." in w.text() for w in workers):
        if time.monotonic() > deadline or any(w.proc.poll() is not None for w in workers):
            stop_workers(workers)
            logs = "\n".join(w.text()[-2000:] for w in workers)
            raise RuntimeError(f"workers did not start:\n{logs}")
        time.sleep(0.2)
    return workers


def stop_workers(workers: list[Worker]) -> None:
    for w in workers:
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for pid in w.children():
                os.kill(pid, signal.SIGKILL)
            w.proc.kill()
            w.proc.wait()


class Broker:
    """Points this process's Celery app at a real broker and a queue of its own."""

    def __init__(self, url: str, queue: str) -> None:
        self.app = run_unit.app
        self.url, self.queue = url, queue
        self.saved = {k: self.app.conf[k] for k in ("broker_url", "task_always_eager",
                                                    "task_default_queue")}  # fmt: skip

    def _reset(self) -> None:
        # The producer pool and the queue table were built from the old configuration.
        # kombu keeps its pools in a registry keyed by connection: start both afresh.
        self.app._pool = None  # type: ignore[attr-defined]  # Celery's private producer pool
        self.app.__dict__.pop("amqp", None)
        kombu_pools.reset()

    def use(self, *, eager: bool = False) -> None:
        if eager:
            self.app.conf.update(self.saved)
        else:
            self.app.conf.update(
                broker_url=self.url, task_always_eager=False, task_default_queue=self.queue
            )
        self._reset()


@contextmanager
def workers_on_queue(
    *, broker: str, prefix: str, folders: Any, unblock: Callable[[], AbstractContextManager[Any]],
    count: int = 2,
) -> Iterator[tuple[list[Worker], Broker]]:  # fmt: skip
    """`count` workers on a queue of their own with a chip store of their own (`folders`:
    pytest's tmp_path_factory; `unblock`: pytest-django's django_db_blocker.unblock, the
    start reads the test database's settings), and the switch to send them tasks; all
    stopped and removed after."""
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    store = folders.mktemp(f"{prefix}-store")
    with unblock():
        started = start_workers(broker=broker, count=count, queue=queue, store=store,
                                folder=folders.mktemp(f"{prefix}-logs"))  # fmt: skip
    switch = Broker(broker, queue)
    try:
        yield started, switch
    finally:
        switch.use(eager=True)
        stop_workers(started)
        shutil.rmtree(store, ignore_errors=True)
