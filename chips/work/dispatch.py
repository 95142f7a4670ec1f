"""How a job's units get made: queued on the broker as one task per unit (chips.work.tasks),
or, with no broker (the demo, most tests), run in this process, now or beside the request.
Either way each unit reports its outcome through chips.work.jobs.report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from django.db import close_old_connections, connection, transaction

from chips.models import ChipJob
from chips.work import jobs, liveness
from chips.work.running import run_here
from chips.work.tasks import run_unit
from chips.work.units import Unit

log = logging.getLogger(__name__)


def in_process() -> bool:
    """No broker configured: units run here (Celery's eager mode)."""
    return bool(run_unit.app.conf.task_always_eager)


def owner() -> str:
    """Who will run a new job's work: this process (no broker) or the broker's workers."""
    return liveness.process_owner() if in_process() else liveness.BROKER_OWNER


def submit(job: ChipJob, units: Sequence[Unit], *, background: bool = False) -> None:
    """Start a new job's units: queued on the broker once the job row is committed (a
    worker must find it), or made here, now or (`background`) in a thread beside the
    request, which then answers at once."""
    if not in_process():
        messages = [u.message() for u in units]

        def send() -> None:
            for message in messages:
                run_unit.apply_async(args=(str(job.pk), message))

        transaction.on_commit(send)
        return
    if background:
        threading.Thread(
            target=_in_thread, args=(job, units), name=f"job-{job.pk}", daemon=True
        ).start()
        return
    last = run_here(job, units, fresh=True)
    if last is not None:  # the caller's wait then needs no look at the job's row
        jobs.follow(job, last)


def _in_thread(job: ChipJob, units: Sequence[Unit]) -> None:
    close_old_connections()
    try:
        run_here(job, units, fresh=True)
    except Exception as exc:  # not even the failure could be reported: the job must stop
        log.exception("job %s failed", job.pk)
        jobs.stop(job.pk, str(exc))
    finally:
        connection.close()
