"""Jobs: the work of one chip request, shared by every request asking for the same chips.

A job is a database row (chips.models.ChipJob), so every web process and every worker sees
it. Its key is made of the client's token and the request's chip keys: a reload or a repeat
of a running request finds the running job by that key and joins it (waits for it, answers
from it) instead of starting a second extraction. The database allows one running job per
key, so two requests racing to start the same work end up sharing one job.

Tasks report each finished scene here: its chips are recorded in the client's cache (one
bulk upsert, so a redone task never duplicates a record) and the job's progress moves on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from chips import liveness
from chips.models import CachedChip, ChipJob, ClientCache, JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChipRecord:
    """A chip file to record in a client's cache once it is in the store."""

    file_name: str
    spec_key: str
    stored_path: str
    scene_id: int
    band: str
    size_bytes: int


def job_key(*, kind: str, token: str, chip_keys: Iterable[str], refresh: bool = False) -> str:
    ident = "|".join([kind, token, "refresh" if refresh else "-", *sorted(chip_keys)])
    return hashlib.sha256(ident.encode()).hexdigest()


def live_job(key: str) -> ChipJob | None:
    """The running job of this key, if any; one whose work is gone (chips.liveness: its
    owner process died, its heartbeat stopped) is marked failed and not returned."""
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
    ChipJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, errors={**job.errors, "": LOST}
    )
    job.status = JobStatus.FAILED
    job.errors = {**job.errors, "": LOST}


LOST = "the job lost its workers"


def open_job(
    *,
    key: str,
    kind: str,
    cache: ClientCache,
    plan: Sequence[tuple[str, str, str]],
    total: int,
    done: int = 0,
    errors: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    owner: str = "",
) -> tuple[ChipJob, bool]:
    """(job, True) for a new running job of this key, or (the running one, False) when
    another request started the same work first. `owner`: who will run its work
    (chips.liveness)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                job = ChipJob.objects.create(
                    key=key,
                    kind=kind,
                    user_id=cache.user_id,
                    cache=cache,
                    plan=[list(entry) for entry in plan],
                    total=total,
                    done=done,
                    errors=errors or {},
                    options=options or {},
                    owner=owner,
                )
            return job, True
        except IntegrityError:
            running = live_job(key)
            if running is not None:
                return running, False
            # It finished (or went stale) between our insert and our look-up: try again.
    raise RuntimeError(f"could not open a job for key {key[:12]}")


def record_chips(records: Sequence[ChipRecord], *, cache_id: int) -> None:
    """Record chips in a client's cache, in one statement. A record of the same name is
    replaced (a refresh, or a task redone after its worker died): never duplicated."""
    if not records:
        return
    CachedChip.objects.bulk_create(
        [
            CachedChip(
                cache_id=cache_id,
                file_name=r.file_name,
                spec_key=r.spec_key,
                stored_path=r.stored_path,
                scene_id=r.scene_id,
                band=r.band,
                size_bytes=r.size_bytes,
            )
            for r in records
        ],
        update_conflicts=True,
        unique_fields=["cache", "file_name"],
        update_fields=["spec_key", "stored_path", "scene", "band", "size_bytes"],
    )


def report_scene(
    job_id: Any,
    *,
    chip_keys: Sequence[str],
    records: Sequence[ChipRecord],
    failed: Mapping[str, str] | None = None,
    empty: Sequence[str] = (),
) -> ChipJob | None:
    """A scene's task is over: record its chips, move the progress by its chips, and note
    the error of each chip that could not be cut ({chip key: reason}) under its label. The
    last scene closes the job."""
    with transaction.atomic():
        job = ChipJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:  # flushed with its client's cache meanwhile
            return None
        record_chips(records, cache_id=job.cache_id)
        if failed:
            job.errors = {**job.errors, **labelled(job, failed)}
        # A task redone after its worker died may report a scene twice: count it once.
        reported = set(job.options.get("reported", []))
        fresh = set(chip_keys) - reported
        job.options = {**job.options, "reported": sorted(reported | fresh)}
        if empty:  # chips without a single pixel: done, nothing to show
            job.options["empty"] = sorted(set(job.options.get("empty", [])) | set(empty))
        _advance(job, len(fresh))
        job.save(update_fields=["done", "errors", "options", "status", "updated"])
    return job


def labelled(job: ChipJob, failed: Mapping[str, str]) -> dict[str, str]:
    """{label: reason} of the job's chips in `failed` ({chip key: reason})."""
    return {label: failed[key] for label, key, _ in job.plan if key in failed}


def finish(job: ChipJob, *, failed: Mapping[str, str]) -> None:
    """Close a job run in one go (in-process): every chip done, the failures noted."""
    job.errors = {**job.errors, **labelled(job, failed)}
    job.done = job.total
    job.status = JobStatus.FAILED if _all_failed(job) else JobStatus.DONE
    job.save(update_fields=["done", "errors", "status", "updated"])


def _advance(job: ChipJob, count: int) -> None:
    job.done = min(job.total, job.done + count)
    if job.done >= job.total and job.status == JobStatus.RUNNING:
        job.status = JobStatus.FAILED if _all_failed(job) else JobStatus.DONE


def _all_failed(job: ChipJob) -> bool:
    return bool(job.plan) and all(label in job.errors for label, _, _ in job.plan)


def wait(job: ChipJob, *, timeout: float) -> ChipJob:
    """Poll the job until it stops running or `timeout` seconds pass. A first look after
    10 ms, then a growing interval up to 50 ms (a primary-key read: cheap), so that the
    answer leaves soon after the last scene is in."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    next_look = time.monotonic() + liveness.HEARTBEAT_SECONDS
    while job.status == JobStatus.RUNNING:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(delay, left))
        delay = min(delay * 1.5, 0.05)
        job.refresh_from_db(fields=["status", "done", "errors", "updated", "heartbeat"])
        if job.status == JobStatus.RUNNING and time.monotonic() >= next_look:
            # A joined job whose owner died is given up at once, not waited out.
            next_look = time.monotonic() + liveness.HEARTBEAT_SECONDS
            if liveness.is_dead(job):
                mark_lost(job)
    return job


def answer_body(
    *, entries: Sequence[tuple[str, str | None]], failed: Mapping[str, str]
) -> dict[str, Any]:
    """The CbM answer: `dates` and `chips` as parallel lists, from `entries` ((label,
    /dump/ path), one per chip held, in plan order) and `failed` ({label: reason}). A date
    whose scene could not be read is listed too, with a null chip, and then an `errors`
    list of the same length gives the reason for that date (null elsewhere): equal-length
    columns, so `pandas.read_json` still reads the answer. Sorted by sensing time (stable,
    so a batch keeps its asked order within one acquisition)."""
    rows: list[tuple[str, str | None, str | None]] = [
        (label, path, None) for label, path in entries
    ]
    listed = {label for label, _ in entries}
    rows += [(label, None, reason) for label, reason in failed.items() if label not in listed]
    rows.sort(key=lambda row: row[0].split("_")[0])
    body: dict[str, Any] = {
        "dates": [label for label, _, _ in rows],
        "chips": [path for _, path, _ in rows],
    }
    if any(reason for _, _, reason in rows):
        body["errors"] = [reason for _, _, reason in rows]
    return body


def answer(job: ChipJob) -> dict[str, Any]:
    """The request's answer from its job: the chips the client holds, and the date of each
    chip that could not be cut with the reason."""
    keys = [key for _, key, _ in job.plan]
    held = set(
        CachedChip.objects.filter(cache_id=job.cache_id, spec_key__in=keys).values_list(
            "spec_key", flat=True
        )
    )
    token = job.cache.token
    return answer_body(
        entries=[(label, f"/dump/{token}/{name}") for label, key, name in job.plan if key in held],
        failed={label: reason for label, reason in job.errors.items() if label},
    )


def status(job: ChipJob, *, url: str) -> dict[str, Any]:
    """What /query/jobs/<id> answers: where the job stands, and its result when over."""
    body: dict[str, Any] = {
        "job": str(job.id),
        "url": url,
        "status": job.status,
        "done": job.done,
        "total": job.total,
    }
    if job.status != JobStatus.RUNNING:
        body["result"] = answer(job)
    return body
