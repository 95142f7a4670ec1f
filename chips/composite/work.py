"""Starting the work of a composite request, or joining the request's running job: the
chips the client lacks become a chip job (chips.jobs), one task message per scene."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from chips import dispatch, jobs
from chips.composite.plan import CompositePlan, PlannedComposite
from chips.composite.status import PlanStatus, held_composites, plan_status
from chips.models import ChipJob, JobStatus
from common.errors import BadParameter


def last_job(plan: CompositePlan) -> ChipJob | None:
    """The request's latest job, running or over (one look-up serves every use below)."""
    return ChipJob.objects.filter(key=plan.job_key).order_by("-created").first()


def _empty_keys(last: ChipJob | None) -> set[str]:
    """Composites an earlier job of this request found without a pixel (nothing to show)."""
    return set(last.options.get("empty", [])) if last else set()


def recent_failure(last: ChipJob | None) -> ChipJob | None:
    """The request's last job if it is over, some of its chips failed (disk full, a band
    file unreadable) and it ended less than COMPOSITE_RETRY_SECONDS ago: a reload or a poll
    then reports it instead of trying the same failing work again at once."""
    if last is None or last.status == JobStatus.RUNNING:
        return None
    planned = {label for label, _, _ in last.plan}
    if not any(label in planned for label in last.errors):
        return None
    wait = dt.timedelta(seconds=settings.COMPOSITE_RETRY_SECONDS)
    return last if last.updated > timezone.now() - wait else None


def ensure_work(plan: CompositePlan, *, limit_hint: str) -> PlanStatus:
    """Start a job for the chips the client lacks (all of them with `refresh`), or join the
    request's running job; answer where each chip stands. A job that failed a moment ago
    is reported, not started again (recent_failure). Over the per-request limit:
    TooManyChips (400)."""
    job = jobs.live_job(plan.job_key)
    held = held_composites(plan)
    if job is not None:
        return plan_status(plan, held=held, job=job)
    last = last_job(plan)
    if not plan.request.refresh and recent_failure(last) is not None:
        return plan_status(plan, held=held, job=last)
    job = last  # the state of a request with nothing to start is its last job's
    refresh = plan.request.refresh
    empty = set() if refresh else _empty_keys(last)
    missing = [i for i in plan.items if refresh or (i.key not in held and i.key not in empty)]
    if missing:
        limit = settings.MAX_CHIPS_PER_REQUEST
        if len(missing) > limit:
            raise TooManyChips(len(missing), limit, missing[limit - 1], limit_hint)
        job, created = jobs.open_job(
            key=plan.job_key,
            kind="composite",
            cache=plan.client,
            plan=[(i.scene.sensing_key, i.key, i.file_name) for i in plan.items],
            total=len(plan.items),
            done=len(plan.items) - len(missing),
            errors=dict(plan.failed),
            owner=dispatch.job_owner(),
            options={
                "lut": plan.request.lut.to_param(),
                "empty": sorted(empty),
                "refresh": refresh,
            },
        )
        if created:
            messages = [composite_message(i, refresh=refresh) for i in missing]
            dispatch.run_composite_job(job, messages)
    return plan_status(plan, held=held, job=job)


class TooManyChips(BadParameter):
    """More chips to cut than a request may: names the count and a window that fits."""

    def __init__(self, count: int, limit: int, last_fitting: PlannedComposite, hint: str) -> None:
        self.count = count
        self.limit = limit
        self.suggested_end = last_fitting.date
        self.title = f"Too many chips: {count}, at most {limit} per request"
        self.hint = (
            f"Shorten the window: up to end_date={self.suggested_end} fits in one request; "
            "ask for the rest once those are cut (chips you hold do not count)."
        )
        self.retry_params = {"end_date": self.suggested_end}
        super().__init__(
            f"{count} chips to cut, at most {limit} per request (chips already in your cache "
            f"do not count): {hint}, e.g. end_date={self.suggested_end}, then ask for the rest",
            param="end_date",
        )


def composite_message(item: PlannedComposite, *, refresh: bool = False) -> dict[str, Any]:
    """A planned composite as plain values, for a task message."""
    return {
        "refresh": refresh,
        "scene_id": item.scene.pk,
        "specs": [s.to_dict() for s in item.specs],
        "scl": item.scl.to_dict() if item.scl else None,
        "key": item.key,
        "outline": item.outline_native_wkt,
    }
