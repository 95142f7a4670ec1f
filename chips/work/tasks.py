"""The Celery entry point of the work layer: one task per unit of a job, acknowledged late
(a worker killed mid-unit leaves its message on the broker and another worker makes the unit
again; files appear only complete and records are upserts, so a redone unit duplicates
nothing, and the job counts its keys once). chips.work.dispatch queues them; chips.tasks
imports the flows so that every kind's runner is registered in the worker."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init

from chips.models import ChipJob
from chips.work import pool
from chips.work.running import run_here
from chips.work.units import Unit

log = logging.getLogger(__name__)


@shared_task(name="chips.run_unit", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_unit(job_id: str, message: dict[str, Any]) -> None:
    """Make one unit of a job and report it."""
    unit = Unit.from_message(message)
    job = ChipJob.objects.select_related("cache").filter(pk=job_id).first()
    if job is None:  # flushed with its client's cache meanwhile
        return
    log.debug("job %s: %s unit of %d entries", job_id, unit.kind, len(unit.keys))
    run_here(job, [unit])


@worker_process_init.connect
def _worker_makes_one_at_a_time(**_: Any) -> None:
    pool.serial_here()
