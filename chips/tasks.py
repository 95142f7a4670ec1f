"""Celery tasks of the chips app, and how a job's scenes get to them.

One task per scene: it cuts every requested band of that scene (each band file opened
once), puts the files in the shared store, records them for the job's client and moves the
job on (chips.jobs). Tasks are acknowledged late: a worker killed mid-chip leaves its task
on the broker and another worker redoes it; files appear only complete (write to a
temporary name, then rename) and records are upserts, so a redone task duplicates nothing.

With no broker (the demo, most tests) a job runs in-process: its scenes are cut at once
in a small thread pool (GDAL releases the GIL while it decodes), then recorded in one go.
The files are the same bytes either way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from django.db import close_old_connections, connection, transaction

from . import cache, jobs
from .chipspec import ChipSpec
from .errors import ChipError
from .extract import cut_chips
from .models import ChipJob

log = logging.getLogger(__name__)

# Scenes cut at once by an in-process job: one per core (at least two, to overlap a
# decode with the next file's open). More threads than cores measured slower (bench/chips.py
# on 2 cores: 4 threads cost 15 % more than 2 for COG and JP2): they fight over the cores
# and over the locks around dataset opens.
CUT_THREADS = min(8, max(2, os.cpu_count() or 2))


@dataclass(frozen=True)
class SceneWork:
    """The chips of one scene that a job must cut."""

    scene_id: int
    specs: tuple[ChipSpec, ...]

    def message(self) -> list[Any]:
        return [self.scene_id, [s.to_dict() for s in self.specs]]


@dataclass
class SceneCut:
    """What cutting a scene gave: records to write, and {chip key: reason} of failures."""

    records: list[jobs.ChipRecord] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def chip_record(spec: ChipSpec, *, scene_id: int, size: int) -> jobs.ChipRecord:
    return jobs.ChipRecord(
        file_name=spec.file_name,
        spec_key=spec.key,
        stored_path=cache.stored_relpath(spec),
        scene_id=scene_id,
        band=spec.band,
        size_bytes=size,
    )


def cut_scene(work: SceneWork, *, refresh: bool, decode_threads: int | None = None) -> SceneCut:
    """Cut a scene's chips into the store (no database here, so threads may run it).
    A chip whose file another request already cut is reused, unless `refresh`; a band
    file that cannot be read fails its chips only. `decode_threads`: see cut_chips."""
    out = SceneCut()
    by_href: dict[str, list[ChipSpec]] = {}
    for spec in work.specs:
        shared = None if refresh else cache.shared_file(spec)
        if shared is not None:
            out.records.append(
                chip_record(spec, scene_id=work.scene_id, size=shared.stat().st_size)
            )
        else:
            by_href.setdefault(spec.href, []).append(spec)
    for specs in by_href.values():
        try:
            sizes = cut_chips(
                ((s, cache.store_path(cache.stored_relpath(s))) for s in specs),
                decode_threads=decode_threads,
            )
        except ChipError as exc:
            log.warning("scene %s: %s", work.scene_id, exc)
            out.failed.update({s.key: str(exc) for s in specs})
            continue
        for spec in specs:
            # One line per extraction: operators (and the tests) count cuts with it.
            log.info("extracted chip %s (%s %s)", spec.key, spec.product_id, spec.band)
            if sizes[spec.key] > 0:  # 0: no valid pixel in the window, nothing to hold
                out.records.append(chip_record(spec, scene_id=work.scene_id, size=sizes[spec.key]))
    return out


@shared_task(
    name="chips.cut_scene_chips", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def cut_scene_chips(
    job_id: str, scene_id: int, specs: list[dict[str, Any]], refresh: bool = False
) -> None:
    """Cut a scene's chips for a job and report them to it."""
    work = SceneWork(scene_id, tuple(ChipSpec.from_dict(d) for d in specs))
    log.info("job %s: scene %s, %d chips", job_id, scene_id, len(work.specs))
    cut = cut_scene(work, refresh=refresh)
    jobs.report_scene(
        job_id, chip_keys=[s.key for s in work.specs], records=cut.records, failed=cut.failed
    )


def in_process() -> bool:
    """No broker configured: tasks run here (Celery's eager mode)."""
    return bool(cut_scene_chips.app.conf.task_always_eager)


def run_job(job: ChipJob, work: Sequence[SceneWork], *, refresh: bool, background: bool) -> None:
    """Start a new job's scenes: queued on the broker once the job row is committed (a
    worker must find it), or run in-process, now or (`background`) in a thread."""
    if not in_process():
        messages = [w.message() for w in work]

        def send() -> None:
            for scene_id, specs in messages:
                cut_scene_chips.apply_async(args=[str(job.pk), scene_id, specs, refresh])

        transaction.on_commit(send)
        return
    if background:
        thread = threading.Thread(
            target=_run_in_thread, args=(job, work, refresh), name=f"chips-{job.pk}", daemon=True
        )
        thread.start()
        return
    run_in_process(job, work, refresh=refresh)


def run_in_process(job: ChipJob, work: Sequence[SceneWork], *, refresh: bool) -> None:
    """Cut the scenes concurrently, then record every chip and close the job at once."""
    if len(work) == 1:
        cuts = [cut_scene(work[0], refresh=refresh)]
    else:
        # One decoding thread per scene: the pool already keeps the cores busy.
        with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(work))) as pool:
            cuts = list(pool.map(lambda w: cut_scene(w, refresh=refresh, decode_threads=1), work))
    records = [r for cut in cuts for r in cut.records]
    failed = {k: v for cut in cuts for k, v in cut.failed.items()}
    with transaction.atomic():
        jobs.record_chips(records, cache_id=job.cache_id)
        jobs.finish(job, failed=failed)


def _run_in_thread(job: ChipJob, work: Sequence[SceneWork], refresh: bool) -> None:
    close_old_connections()
    try:
        run_in_process(job, work, refresh=refresh)
    except Exception as exc:  # the job must say it stopped, whatever the cause
        log.exception("job %s failed", job.pk)
        ChipJob.objects.filter(pk=job.pk).update(status="failed", errors={"": str(exc)})
    finally:
        connection.close()


@shared_task(
    name="chips.make_composite", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def make_composite(job_id: str, message: dict[str, Any]) -> None:
    """Cut, render and record one composite (one scene) of a job."""
    from . import composites  # composites queues this task: import it late

    job = ChipJob.objects.filter(pk=job_id).first()
    if job is not None:
        log.info("job %s: composite of scene %s", job_id, message["scene_id"])
        composites.make_composite(job, message)


def run_composite_job(job: ChipJob, messages: Sequence[dict[str, Any]]) -> None:
    """Queue a composite job's scenes, or (no broker) make them in a thread beside the
    request, which answers at once: the page shows them as they come."""
    if not in_process():

        def send() -> None:
            for message in messages:
                make_composite.apply_async(args=[str(job.pk), message])

        transaction.on_commit(send)
        return

    def make(message: dict[str, Any]) -> None:
        from . import composites

        try:
            composites.make_composite(job, message)
        finally:
            connection.close()  # this pool thread's own connection

    def run() -> None:
        close_old_connections()
        try:
            # The scenes in parallel, as workers would cut them (GDAL releases the GIL).
            with ThreadPoolExecutor(max_workers=max(1, min(CUT_THREADS, len(messages)))) as pool:
                list(pool.map(make, messages))
        except Exception as exc:  # the page must learn that it stopped, whatever the cause
            log.exception("job %s failed", job.pk)
            ChipJob.objects.filter(pk=job.pk).update(status="failed", errors={"": str(exc)})
        finally:
            connection.close()

    threading.Thread(target=run, name=f"composite-{job.pk}", daemon=True).start()


@shared_task(name="chips.flush_chip_cache")
def flush_chip_cache() -> dict[str, int]:
    """The nightly flush (Celery beat, CHIP_CACHE_FLUSH_HOUR:MINUTE Europe/Brussels)."""
    result = cache.flush_cache()
    return {"records": result.records, "files": result.files}
