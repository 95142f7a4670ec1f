"""The CbM answer of a raw chip request, from its plan or its job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chips.models import CachedChip, ChipJob, JobStatus
from chips.store.cache import dump_url
from chips.work import jobs


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
    assert job.cache is not None  # a raw job is a client's
    planned = jobs.entries(job)
    held = set(
        CachedChip.objects.filter(
            cache_id=job.cache_id, spec_key__in=[e.key for e in planned]
        ).values_list("spec_key", flat=True)
    )
    token = job.cache.token
    return answer_body(
        entries=[(e.label, dump_url(token, e.file_name)) for e in planned if e.key in held],
        failed=job.errors,
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
