"""Celery tasks of the chips app, and how a job's scenes get to them.

One task per scene: it cuts every requested band of that scene (each band file opened
once), puts the files in the shared store, records them for the job's client and moves the
job on (chips.jobs). Tasks are acknowledged late: a worker killed mid-chip leaves its task
on the broker and another worker redoes it; files appear only complete (write to a
temporary name, then rename) and records are upserts, so a redone task duplicates nothing.

With no broker (the demo, most tests) a job runs in-process: its band files are cut at
once in a small pool of worker processes (see cut_pool), then recorded in one go. The files
are the same bytes either way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery import shared_task
from django.db import close_old_connections, connection, transaction

from . import cache, jobs
from .chipspec import ChipSpec
from .errors import ChipError
from .extract import cut_chips, cut_file_reporting
from .models import ChipJob
from .orphan_guard import exit_with_parent

log = logging.getLogger(__name__)

# Band files cut at once by an in-process job (worker processes, or threads as a fallback):
# one per core (at least two, to overlap a decode with the next file's open). More threads
# than cores measured slower (bench/chips.py on 2 cores: 4 threads cost 15 % more than 2 for
# COG and JP2): they fight over the cores and over the locks around dataset opens.
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


def _pending(work: SceneWork, out: SceneCut, *, refresh: bool) -> list[list[ChipSpec]]:
    """The chips of a scene still to cut, by band file; those another request already cut
    are reused (unless `refresh`) and go straight into `out`."""
    by_href: dict[str, list[ChipSpec]] = {}
    for spec in work.specs:
        shared = None if refresh else cache.shared_file(spec)
        if shared is not None:
            out.records.append(
                chip_record(spec, scene_id=work.scene_id, size=shared.stat().st_size)
            )
        else:
            by_href.setdefault(spec.href, []).append(spec)
    return list(by_href.values())


def _store_jobs(specs: Sequence[ChipSpec]) -> list[tuple[ChipSpec, Path]]:
    return [(s, cache.store_path(cache.stored_relpath(s))) for s in specs]


def _collect(
    work: SceneWork, out: SceneCut, specs: Sequence[ChipSpec], result: dict[str, int] | str
) -> None:
    """Put the outcome of cutting one band file's chips into `out` (a str: why it failed)."""
    if isinstance(result, str):
        log.warning("scene %s: %s", work.scene_id, result)
        out.failed.update({s.key: result for s in specs})
        return
    for spec in specs:
        # One line per extraction: operators (and the tests) count cuts with it.
        log.info("extracted chip %s (%s %s)", spec.key, spec.product_id, spec.band)
        if result[spec.key] > 0:  # 0: no valid pixel in the window, nothing to hold
            out.records.append(chip_record(spec, scene_id=work.scene_id, size=result[spec.key]))


def cut_scene(work: SceneWork, *, refresh: bool) -> SceneCut:
    """Cut a scene's chips into the store, here (a worker's task, a composite).
    A chip whose file another request already cut is reused, unless `refresh`; a band
    file that cannot be read fails its chips only."""
    out = SceneCut()
    for specs in _pending(work, out, refresh=refresh):
        try:
            result: dict[str, int] | str = cut_chips(_store_jobs(specs))
        except ChipError as exc:
            result = str(exc)
        _collect(work, out, specs, result)
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


# The in-process cut pool: CUT_THREADS worker processes, started by the first job with more
# than one band file to cut and kept for the life of the process (starting costs ~300 ms).
# Threads shared about one core for COG chips: each chip is a few short GDAL calls (open,
# decode a block, encode a GeoTIFF) and the GIL and a lock around dataset opens serialise
# them (24 chips on 2 cores: 2 threads ~1.25x one thread, 2 processes ~1.8x; cold COG
# request 1.5x -> 1.15x the rio-tiler loop, docs/benchmarks-chips.md). "forkserver":
# workers start from a clean process, not a fork of this one with its GDAL state, database
# connections and threads; they import only chips.extract (no Django). They keep the
# environment (AWS_*, GDAL options) this process had when the pool started.
_cut_pool: ProcessPoolExecutor | None = None
_cut_pool_lock = threading.Lock()
_cut_pool_broken = False


def cut_pool() -> ProcessPoolExecutor | None:
    """The process pool for in-process jobs, or None if it could not start here."""
    global _cut_pool
    with _cut_pool_lock:
        if _cut_pool is None and not _cut_pool_broken:
            try:
                _cut_pool = ProcessPoolExecutor(
                    CUT_THREADS,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=exit_with_parent,
                    initargs=(os.getpid(),),
                )
            except (OSError, ValueError) as exc:
                _drop_cut_pool(exc)
        return _cut_pool


def _drop_cut_pool(exc: BaseException) -> None:
    """Give up on worker processes for the rest of this process: threads cut instead."""
    global _cut_pool, _cut_pool_broken
    log.warning("no cut worker processes (%s): cutting in threads", exc)
    if _cut_pool is not None:
        _cut_pool.shutdown(wait=False, cancel_futures=True)
    _cut_pool, _cut_pool_broken = None, True


def _cut_files(files: list[list[tuple[ChipSpec, Path]]]) -> list[dict[str, int] | str]:
    """Cut each band file's chips concurrently: in the process pool, or in threads if
    it cannot run (a file cut twice is harmless: files are replaced whole)."""
    if len(files) <= 1:  # one file: GDAL decodes it on all cores itself
        return [cut_file_reporting(f, decode_threads=None) for f in files]
    pool = cut_pool()
    if pool is not None:
        try:
            return list(pool.map(cut_file_reporting, files))
        except (OSError, RuntimeError) as exc:  # BrokenProcessPool: a worker died (killed,
            # out of memory): this job's files are cut again in threads, later jobs too.
            with _cut_pool_lock:
                if _cut_pool is pool:
                    _drop_cut_pool(exc)
    with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(files))) as threads:
        return list(threads.map(cut_file_reporting, files))


def run_in_process(job: ChipJob, work: Sequence[SceneWork], *, refresh: bool) -> None:
    """Cut the scenes concurrently, then record every chip and close the job at once."""
    cuts = [SceneCut() for _ in work]
    todo = []  # (scene, its cut, the specs of one band file) to cut
    for w, cut in zip(work, cuts, strict=True):
        todo += [(w, cut, specs) for specs in _pending(w, cut, refresh=refresh)]
    results = _cut_files([_store_jobs(specs) for _, _, specs in todo])
    for (w, cut, specs), result in zip(todo, results, strict=True):
        _collect(w, cut, specs, result)
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
    from . import composite_make  # it cuts through this module: import it late

    job = ChipJob.objects.filter(pk=job_id).first()
    if job is not None:
        log.info("job %s: composite of scene %s", job_id, message["scene_id"])
        composite_make.make_composite(job, message)


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
        from . import composite_make

        try:
            composite_make.make_composite(job, message)
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
