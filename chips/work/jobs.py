"""Jobs: a piece of work shared by every request asking for the same thing.

A job is a database row (chips.models.ChipJob), so every web process and every worker sees
it. Its key names the work (kind, client token, the keys of what it makes): a reload or a
repeat of a running request finds the running job by that key and joins it (waits for it,
answers from it) instead of starting the same work twice. The database allows one running
job per key, so two requests racing to start the same work end up sharing one job.

Every unit of a job reports here when it is over (report): its failures noted by entry, its
keys counted once (a unit redone after its worker died reports twice); the last one closes
the job. The same call in process, on the cut pool and on Celery workers.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chips.models import ChipJob, ClientCache, JobKind, JobStatus
from chips.work import liveness
from chips.work.units import Reported
from common.errors import NotFound

log = logging.getLogger(__name__)

LOST = "the job lost its workers"


@dataclass(frozen=True)
class Entry:
    """One entry of a job's answer, in order: its label (a date), the key of what makes it
    (a chip's content address) and the file name the client sees it under."""

    label: str
    key: str
    file_name: str = ""


def entries(job: ChipJob) -> list[Entry]:
    return [Entry(*row) for row in job.plan]


def job_key(*, kind: JobKind, token: str, keys: Iterable[str], refresh: bool = False) -> str:
    ident = "|".join([str(kind), token, "refresh" if refresh else "-", *sorted(keys)])
    return hashlib.sha256(ident.encode()).hexdigest()


def live_job(key: str) -> ChipJob | None:
    """The running job of this key, if any; one whose work is gone (chips.work.liveness:
    its owner process died, its heartbeat stopped) is marked failed and not returned."""
    job = ChipJob.objects.select_related("cache").filter(key=key, status=JobStatus.RUNNING).first()
    if job is None:
        return None
    if liveness.is_dead(job):
        mark_lost(job)
        return None
    return job


def mark_lost(job: ChipJob) -> None:
    """Close a running job whose work is gone: the next request redoes what is missing."""
    log.warning("job %s lost its workers (owner %s)", job.pk, job.owner or "?")
    stop(job.pk, LOST)
    job.status = JobStatus.FAILED
    job.failure = LOST


def stop(job_id: uuid.UUID | str, reason: str) -> None:
    """The job must say it stopped, whatever the cause: failed, with the reason, so its
    waiters answer instead of waiting it out (the one guard of every runner)."""
    ChipJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, failure=reason[:2000]
    )


def lost(job: ChipJob) -> bool:
    return job.failure == LOST


def open_or_join(
    key: str,
    *,
    kind: JobKind,
    entries: Sequence[Entry],
    owner: str,
    cache: ClientCache | None = None,
    done: int = 0,
    errors: Mapping[str, str] | None = None,
    refresh: bool = False,
    lut: str = "",
    empty: Sequence[str] = (),
) -> tuple[ChipJob, bool]:
    """(job, True) for a new running job of this key, or (the running one, False) when
    another request started the same work first. `owner`: who will run its work
    (chips.work.dispatch.owner)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                job = ChipJob.objects.create(
                    key=key,
                    kind=kind,
                    user_id=cache.user_id if cache is not None else None,
                    cache=cache,
                    plan=[[e.label, e.key, e.file_name] for e in entries],
                    total=len(entries),
                    done=done,
                    errors=dict(errors or {}),
                    refresh=refresh,
                    lut=lut,
                    empty=sorted(empty),
                    owner=owner,
                )
            return job, True
        except IntegrityError:
            running = live_job(key)
            if running is not None:
                return running, False
            # It finished (or went stale) between our insert and our look-up: try again.
    raise RuntimeError(f"could not open a job for key {key[:12]}")


def report(job_id: uuid.UUID | str, reported: Reported) -> ChipJob | None:
    """Units are over (their records written by their runner): note the reason of each
    entry that could not be made under its label, count their keys once, and close the job
    when the last one is in."""
    with transaction.atomic():
        job = ChipJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:  # flushed with its client's cache meanwhile
            return None
        failed = {k: v for _, outcome in reported for k, v in outcome.failed.items()}
        if failed:
            job.errors = {**job.errors, **labelled(job, failed)}
        # A unit redone after its worker died may report twice: count it once.
        already = set(job.reported)
        fresh = {k for unit, _ in reported for k in unit.keys} - already
        job.reported = sorted(already | fresh)
        empty = {k for _, outcome in reported for k in outcome.empty}
        if empty:  # made without a single pixel: done, nothing to show
            job.empty = sorted(set(job.empty) | empty)
        _advance(job, len(fresh))
        job.save(update_fields=["done", "errors", "reported", "empty", "status", "updated"])
    return job


# What a report changes on a job (and `wait` refreshes).
PROGRESS_FIELDS = ("status", "done", "errors", "failure", "updated", "heartbeat", "reported",
                   "empty")  # fmt: skip


def follow(job: ChipJob, latest: ChipJob) -> None:
    """Bring `job` (a caller's instance) to where `latest` (the same job as a report left
    it) stands, without reading its row again."""
    for name in PROGRESS_FIELDS:
        setattr(job, name, getattr(latest, name))


def labelled(job: ChipJob, failed: Mapping[str, str]) -> dict[str, str]:
    """{label: reason} of the job's entries in `failed` ({key: reason})."""
    return {e.label: failed[e.key] for e in entries(job) if e.key in failed}


def _advance(job: ChipJob, count: int) -> None:
    job.done = min(job.total, job.done + count)
    if job.done >= job.total and job.status == JobStatus.RUNNING:
        job.status = JobStatus.FAILED if _all_failed(job) else JobStatus.DONE


def _all_failed(job: ChipJob) -> bool:
    return bool(job.plan) and all(e.label in job.errors for e in entries(job))


def reasons(job: ChipJob) -> list[str]:
    """Every reason the job gives: its entries' and its own failure, sorted, once each."""
    found = set(job.errors.values()) | ({job.failure} if job.failure else set())
    return sorted(found)


def wait(job: ChipJob, *, timeout: float) -> ChipJob:
    """Poll the job until it stops running or `timeout` seconds pass. A first look at
    once (an in-process job made here is over by now: waiting 10 ms first cost every
    in-process request 10 ms), then after 10 ms and a growing interval up to 50 ms (a
    primary-key read: cheap), so that the answer leaves soon after the last unit is in. A
    job whose workers are gone is given up at once (chips.work.liveness), not waited out."""
    deadline = time.monotonic() + timeout
    delay = 0.0
    next_look = time.monotonic() + liveness.HEARTBEAT_SECONDS
    while job.status == JobStatus.RUNNING:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if delay:
            time.sleep(min(delay, left))
        delay = min(max(delay * 1.5, 0.01), 0.05)
        job.refresh_from_db(fields=list(PROGRESS_FIELDS))
        if job.status == JobStatus.RUNNING and time.monotonic() >= next_look:
            next_look = time.monotonic() + liveness.HEARTBEAT_SECONDS
            if liveness.is_dead(job):
                mark_lost(job)
    return job


def last_job(key: str) -> ChipJob | None:
    """The latest job of a key, running or over."""
    return ChipJob.objects.filter(key=key).order_by("-created").first()


def job_url(job: ChipJob) -> str:
    return f"/query/jobs/{job.pk}"


def job_of(*, user: User, job_id: str) -> ChipJob:
    """A job of this user (another user's job is as unknown as a missing one)."""
    try:
        job = ChipJob.objects.select_related("cache").filter(pk=job_id, user=user).first()
    except (ValueError, ValidationError):  # not a job id at all
        job = None
    if job is None:
        raise NotFound("no such job", param="job")
    return job
