"""chips.work.liveness: owner ids, the process check on this host, the heartbeat thread."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from chips.models import ChipJob, ClientCache, JobKind
from chips.work import jobs, liveness

pytestmark = pytest.mark.django_db(transaction=True)


def dead_pid() -> int:
    """The pid of a process that has just exited (reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 - our interpreter
    child.wait()
    return child.pid


def test_this_process_is_alive_and_an_exited_one_is_not() -> None:
    me = liveness.process_owner()
    assert me.startswith(f"proc:{socket.gethostname()}:") and f":{os.getpid()}:" in me
    assert liveness.owner_alive(me) is True
    _, host, boot, _, start = me.split(":")
    assert liveness.owner_alive(f"proc:{host}:{boot}:{dead_pid()}:{start}") is False
    # The same pid after a reboot of the host, or started later: not the same process.
    pid = os.getpid()
    assert liveness.owner_alive(f"proc:{host}:another-boot:{pid}:{start}") is False
    assert liveness.owner_alive(f"proc:{host}:{boot}:{pid}:1") is False
    # Another host's process cannot be looked at: only its heartbeat tells.
    assert liveness.owner_alive(f"proc:elsewhere:{boot}:{pid}:{start}") is None
    assert liveness.owner_alive(liveness.BROKER_OWNER) is None


def open_job(owner: str) -> ChipJob:
    user = User.objects.create(username=f"u{time.monotonic_ns()}")
    cache = ClientCache.objects.create(user=user, ip="127.0.0.1", square="1|2|1280")
    job, _ = jobs.open_or_join(
        str(time.monotonic_ns()), kind=JobKind.RAW, cache=cache, entries=[jobs.Entry("d", "k")],
        owner=owner,
    )  # fmt: skip
    return job


def test_a_job_on_another_host_is_dead_once_its_heartbeat_is_old(settings) -> None:
    settings.JOB_HEARTBEAT_STALE_SECONDS = 10
    job = open_job(f"proc:elsewhere:boot:{os.getpid()}:1")
    assert not liveness.is_dead(job)
    job.heartbeat = timezone.now() - dt.timedelta(seconds=11)
    assert liveness.is_dead(job)
    assert jobs.live_job(job.key) is not None  # the row's heartbeat is still unset: fresh
    ChipJob.objects.filter(pk=job.pk).update(heartbeat=job.heartbeat)
    assert jobs.live_job(job.key) is None
    job.refresh_from_db()
    assert job.status == "failed" and job.failure == jobs.LOST


def test_beating_writes_the_heartbeat_while_the_work_runs() -> None:
    job = open_job(liveness.process_owner())
    assert job.heartbeat is None
    with liveness.beating(job.pk):
        assert ChipJob.objects.get(pk=job.pk).heartbeat is not None  # at once, as work starts
        ChipJob.objects.filter(pk=job.pk).update(heartbeat=None)
        deadline = time.monotonic() + 10
        while ChipJob.objects.get(pk=job.pk).heartbeat is None:
            assert time.monotonic() < deadline, "no heartbeat written"
            time.sleep(0.1)
    time.sleep(1.5 * liveness.HEARTBEAT_SECONDS)  # a beat already under way lands
    last = ChipJob.objects.get(pk=job.pk).heartbeat
    time.sleep(2.5 * liveness.HEARTBEAT_SECONDS)  # the work is over: no more beats
    assert ChipJob.objects.get(pk=job.pk).heartbeat == last
