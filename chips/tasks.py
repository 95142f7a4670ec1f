"""Celery tasks of the chips app: the entry points only.

One task per scene: it cuts every requested band of that scene (chips.cutting), puts the
files in the shared store, records them for the job's client and moves the job on
(chips.jobs). Tasks are acknowledged late: a worker killed mid-chip leaves its task on the
broker and another worker redoes it; files appear only complete and records are upserts,
so a redone task duplicates nothing. chips.dispatch queues them.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from chips import cache, jobs, liveness
from chips.composite import make as composite_make
from chips.cutting import SceneWork, cut_scene
from chips.models import ChipJob
from chips.raster.chipspec import ChipSpec

log = logging.getLogger(__name__)


@shared_task(
    name="chips.cut_scene_chips", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def cut_scene_chips(
    job_id: str, scene_id: int, specs: list[dict[str, Any]], refresh: bool = False
) -> None:
    """Cut a scene's chips for a job and report them to it."""
    work = SceneWork(scene_id, tuple(ChipSpec.from_dict(d) for d in specs))
    log.info("job %s: scene %s, %d chips", job_id, scene_id, len(work.specs))
    with liveness.beating(job_id):  # the job's heartbeat while this task cuts
        cut = cut_scene(work, refresh=refresh)
    jobs.report_scene(
        job_id, chip_keys=[s.key for s in work.specs], records=cut.records, failed=cut.failed
    )


@shared_task(
    name="chips.make_composite", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def make_composite(job_id: str, message: dict[str, Any]) -> None:
    """Cut, render and record one composite (one scene) of a job."""
    job = ChipJob.objects.filter(pk=job_id).first()
    if job is not None:
        log.info("job %s: composite of scene %s", job_id, message["scene_id"])
        with liveness.beating(job_id):
            composite_make.make_composite(job, message)


@shared_task(name="chips.flush_chip_cache")
def flush_chip_cache() -> dict[str, int]:
    """The nightly flush (Celery beat, CHIP_CACHE_FLUSH_HOUR:MINUTE Europe/Brussels)."""
    result = cache.flush_cache()
    return {"records": result.records, "files": result.files}
