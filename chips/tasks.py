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
from chips.raster.errors import ChipError
from chips.signatures import compute as signatures

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


@shared_task(
    name="chips.parcel_signatures", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def parcel_signatures(run_key: str, parcel_id: int, scene_id: int, bands: list[str]) -> None:
    """One parcel's signature rows of one scene (a parcelTimeSeries request's work)."""
    log.info("signatures: parcel %s scene %s %s", parcel_id, scene_id, ",".join(bands))
    try:
        signatures.parcel_scene(parcel_id, scene_id, bands)
    except ChipError as exc:  # the waiting request reports the date and goes on
        signatures.close_run(run_key, error=str(exc))
        return
    signatures.close_run(run_key)


@shared_task(
    name="chips.extract_scene_signatures",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def extract_scene_signatures(
    run_key: str, dataset_id: int, scene_id: int, bands: list[str]
) -> None:
    """Every parcel of a dataset one scene covers (extract_signatures, one task per scene)."""
    log.info("signatures: dataset %s scene %s started", dataset_id, scene_id)
    try:
        mark = signatures.extract_scene(dataset_id, scene_id, bands)
    except ChipError as exc:
        log.warning("signatures: dataset %s scene %s failed: %s", dataset_id, scene_id, exc)
        signatures.close_run(run_key, error=str(exc))
        return
    log.info("signatures: dataset %s scene %s done, %d rows", dataset_id, scene_id, mark.rows)
    signatures.close_run(run_key)
