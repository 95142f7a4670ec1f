"""Making a job's units in this process and reporting them: the body of a worker's task
and of an in-process job alike."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from chips.models import ChipJob
from chips.work import jobs, liveness
from chips.work.units import Outcome, Unit, run

log = logging.getLogger(__name__)


def run_here(job: ChipJob, units: Sequence[Unit], *, fresh: bool = False) -> ChipJob | None:
    """Make the units in this process (a task's body, an in-process job), reporting their
    outcomes as they come, with the job's heartbeat beating meanwhile. If the runner breaks
    (whatever the cause) the units it did not report fail with its reason: their dates
    say so, the others stand, and the job closes as ever. `fresh`: this process opened
    the job this instant (its creation time stands for a first heartbeat: no write).
    Answers the job as the last report left it (None: flushed meanwhile)."""
    reported: set[str] = set()
    last: ChipJob | None = None
    with liveness.beating(job.pk, at_once=not fresh):
        try:
            for batch in run(job, units):
                last = jobs.report(job.pk, batch)
                reported.update(k for unit, _ in batch for k in unit.keys)
        except Exception as exc:
            log.exception("job %s: %d units broke", job.pk, len(units))
            left = [u for u in units if not set(u.keys) <= reported]
            reason = str(exc) or type(exc).__name__
            last = jobs.report(
                job.pk, [(u, Outcome(failed=dict.fromkeys(u.keys, reason))) for u in left]
            )
    return last
