"""Who runs a job, and whether it still does: the owner id a job is opened with, the
heartbeat a process writes while it runs a job's work, and the test of a dead job.

An in-process job (no broker: the demo, a web process cutting beside its request) is owned
by its process, named by host, the host's boot id, pid and the pid's start time (so a pid
reused after a restart is not taken for the dead one). On its own host a dead owner is seen
at once (/proc); from another host, by a heartbeat older than JOB_HEARTBEAT_STALE_SECONDS.
A broker job is owned by the broker: its tasks may wait in the queue behind others and a
task whose worker died is redelivered to another (acks_late), so only a long silence (every
task beats while it runs, every finished scene touches the job) says it is lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from chips.models import ChipJob, JobStatus

log = logging.getLogger(__name__)

BROKER_OWNER = "broker"
# How often a process writes the heartbeat of the jobs it runs.
HEARTBEAT_SECONDS = 1.0


@cache
def _boot_id() -> str:
    """This host's boot id: a pid of an earlier boot names no process of this one."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may hold spaces: count after ")".
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def process_owner() -> str:
    """The owner id of this process (computed each time: a forked worker has its own)."""
    pid = os.getpid()
    return f"proc:{socket.gethostname()}:{_boot_id()}:{pid}:{_start_ticks(pid) or ''}"


def owner_alive(owner: str) -> bool | None:
    """Whether an in-process owner still runs: True/False on its own host, None elsewhere
    (or for a broker owner): then only its heartbeat can tell."""
    parts = owner.split(":")
    if len(parts) != 5 or parts[0] != "proc":
        return None
    _, host, boot, pid, start = parts
    if host != socket.gethostname() or not boot or not _boot_id():
        return None
    if boot != _boot_id():
        return False  # the host rebooted since
    return bool(start) and _start_ticks(int(pid)) == start


def heartbeat_stale() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOB_HEARTBEAT_STALE_SECONDS)


def broker_stale() -> dt.timedelta:
    """A broker job silent for this long lost its queue: each finished scene touches it;
    a scene task takes seconds, a request waits at most CHIP_REQUEST_WAIT_SECONDS."""
    return dt.timedelta(seconds=max(120, 2 * settings.CHIP_REQUEST_WAIT_SECONDS + 30))


def is_dead(job: ChipJob) -> bool:
    """Whether a running job's work is gone: its owner process died (seen at once on its
    own host), its heartbeat stopped, or (broker) it has been silent too long."""
    now = timezone.now()
    if job.owner.startswith("proc:"):
        if owner_alive(job.owner) is False:
            return True
        return (job.heartbeat or job.created) < now - heartbeat_stale()
    last = max(job.updated, job.heartbeat) if job.heartbeat else job.updated
    return last < now - broker_stale()


# The jobs this process runs work of ({job id: runners}), and the thread beating for them.
_beating: Counter[uuid.UUID] = Counter()
_lock = threading.Lock()
_thread: threading.Thread | None = None


@contextlib.contextmanager
def beating(job_id: uuid.UUID | str, *, at_once: bool = True) -> Iterator[None]:
    """Write the job's heartbeat as the block starts (a broker task picked up from the
    queue says so at once; not `at_once`: a job this process opened this instant, whose
    creation time says as much) and every HEARTBEAT_SECONDS while it runs."""
    global _thread
    pk = uuid.UUID(str(job_id))
    if at_once:
        _write([pk])
    with _lock:
        _beating[pk] += 1
        if _thread is None:
            _thread = threading.Thread(target=_beat, name="chip-job-heartbeat", daemon=True)
            _thread.start()
    try:
        yield
    finally:
        with _lock:
            _beating[pk] -= 1
            if _beating[pk] <= 0:
                del _beating[pk]


def _write(ids: list[uuid.UUID]) -> None:
    try:
        ChipJob.objects.filter(pk__in=ids, status=JobStatus.RUNNING).update(
            heartbeat=timezone.now()
        )
    except DatabaseError as exc:  # the database is away: beat again once it is back
        log.warning("job heartbeat not written: %s", exc)
        connection.close()


def _beat() -> None:
    """The heartbeat thread: one UPDATE a second for all the jobs running here; it ends
    when there are none (the next job starts another)."""
    global _thread
    try:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with _lock:
                ids = list(_beating)
            if not ids:
                return
            _write(ids)
    finally:
        with _lock:
            if _thread is threading.current_thread():
                _thread = None
        connection.close()
