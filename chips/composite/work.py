"""Starting the work of a composite request, or joining the request's running job: the
chips the client lacks become a job (chips.work), one unit per scene (chips.composite.make)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone

from chips.composite.make import composite_unit
from chips.composite.plan import CompositePlan
from chips.composite.status import PlanStatus, held_composites, plan_status
from chips.errors import TooManyChips, fitting_windows
from chips.models import ChipJob, JobKind, JobStatus
from chips.work import dispatch, jobs
from ops.quotas import check_chip_quota


def _empty_keys(last: ChipJob | None) -> set[str]:
    """Composites an earlier job of this request found without a pixel (nothing to show)."""
    return set(last.empty) if last else set()


def recent_failure(last: ChipJob | None) -> ChipJob | None:
    """The request's last job if it is over, some of its chips failed (disk full, a band
    file unreadable) and it ended less than COMPOSITE_RETRY_SECONDS ago: a reload or a poll
    then reports it instead of trying the same failing work again at once."""
    if last is None or last.status == JobStatus.RUNNING:
        return None
    planned = {e.label for e in jobs.entries(last)}
    if not any(label in planned for label in last.errors):
        return None
    wait = dt.timedelta(seconds=settings.COMPOSITE_RETRY_SECONDS)
    return last if last.updated > timezone.now() - wait else None


def ensure_work(plan: CompositePlan, *, limit_hint: str) -> PlanStatus:
    """Start a job for the chips the client lacks (all of them with `refresh`), or join the
    request's running job; answer where each chip stands. A job that failed a moment ago
    is reported, not started again (recent_failure). Over the per-request limit:
    TooManyChips (400); over the client's daily chip quota: QuotaExceeded (429), as for
    raw chips. The status counts the composites this call started (`started`: the chips
    cut for its user) and those the client held (`cached`), for the request log."""
    job = jobs.live_job(plan.job_key)
    held = held_composites(plan)
    if job is not None:
        return plan_status(plan, held=held, job=job)
    last = jobs.last_job(plan.job_key)
    if not plan.request.refresh and recent_failure(last) is not None:
        return plan_status(plan, held=held, job=last)
    job = last  # the state of a request with nothing to start is its last job's
    refresh = plan.request.refresh
    empty = set() if refresh else _empty_keys(last)
    missing = [i for i in plan.items if refresh or (i.key not in held and i.key not in empty)]
    started = 0
    if missing:
        limit = settings.MAX_CHIPS_PER_REQUEST
        if len(missing) > limit:
            raise TooManyChips(
                len(missing),
                limit,
                hint=limit_hint,
                param="end_date",
                suggested_end=missing[limit - 1].date,
                windows=fitting_windows(
                    sorted(dt.date.fromisoformat(i.date) for i in missing),
                    start=plan.request.start,
                    end=plan.request.end,
                    limit=limit,
                ),
            )
        check_chip_quota(user=plan.client.user, ip=plan.client.ip, chips_to_cut=len(missing))
        job, created = jobs.open_or_join(
            plan.job_key,
            kind=JobKind.COMPOSITE,
            cache=plan.client,
            entries=[jobs.Entry(i.scene.sensing_key, i.key, i.file_name) for i in plan.items],
            done=len(plan.items) - len(missing),
            errors=plan.failed,
            owner=dispatch.owner(),
            lut=plan.request.lut.to_param(),
            empty=sorted(empty),
            refresh=refresh,
        )
        if created:
            # Beside the request, which answers at once: the page shows them as they come.
            dispatch.submit(job, [composite_unit(i) for i in missing], background=True)
            started = len(missing)
    status = plan_status(plan, held=held, job=job)
    cached = 0 if refresh else len(held)
    return dataclasses.replace(status, started=started, cached=cached)
