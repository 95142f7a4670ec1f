"""The cutting engine: a scene's chips cut from its band files into the shared store.

One scene's work (SceneWork) is every requested band of that scene, each band file opened
once. Files appear only complete (written to a temporary name, then renamed) and records
are upserts, so work done twice duplicates nothing. A task (chips.tasks) runs cut_scene on
a worker; with no broker, run_in_process cuts a job's band files at once in a small pool of
worker processes (see cut_pool) and records them in one go. The files are the same bytes
either way.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import close_old_connections, connection, transaction

from chips import cache, jobs
from chips.models import ChipJob
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError
from chips.raster.extract import cut_chips, cut_file_reporting
from chips.raster.orphan_guard import exit_with_parent

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

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


# The in-process cut pool: CUT_THREADS worker processes, started by the first job with more
# than one band file to cut and kept for the life of the process (starting costs ~300 ms).
# Threads shared about one core for COG chips: each chip is a few short GDAL calls (open,
# decode a block, encode a GeoTIFF) and the GIL and a lock around dataset opens serialise
# them (24 chips on 2 cores: 2 threads ~1.25x one thread, 2 processes ~1.8x; cold COG
# request 1.5x -> 1.15x the rio-tiler loop, docs/benchmarks-chips.md). "forkserver":
# workers start from a clean process, not a fork of this one with its GDAL state, database
# connections and threads; they import only chips.raster (no Django). They keep the
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


def on_pool_as_done(fn: Callable[[T], R], args: Sequence[T]) -> Iterator[list[tuple[int, R]]]:
    """`fn(arg)` for each arg on the cut pool's workers at once (a module-level function of
    chips.raster, its failures answered as values), yielding [(index, result)] of those
    that finished since the last yield, in the order they finish. If the pool cannot run
    (or breaks: a worker killed), what is left runs in threads here instead."""
    left = dict(enumerate(args))
    pool = cut_pool() if len(args) > 1 else None
    if pool is not None:
        pending: dict[Future[R], int] = {}
        try:
            for i, arg in left.items():
                pending[pool.submit(fn, arg)] = i
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                batch = [(pending.pop(f), f.result()) for f in done]
                for i, _ in batch:
                    del left[i]
                yield batch
            return
        except (OSError, RuntimeError) as exc:  # BrokenProcessPool: see _cut_files
            for future in pending:
                future.cancel()
            with _cut_pool_lock:
                if _cut_pool is pool:
                    _drop_cut_pool(exc)
    if left:
        with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(left))) as threads:
            futures = {threads.submit(fn, arg): i for i, arg in left.items()}
            for future in as_completed(futures):
                yield [(futures[future], future.result())]


def _chunk(count: int) -> int:
    """Band files per message to a pool worker: two messages a worker (one to work on,
    one queued), as each message costs the sending thread ~0.4 ms (pickling, waking the
    pool's feeder): 24 files one by one cost 11 ms of a 75 ms cold request."""
    return max(1, math.ceil(count / (2 * CUT_THREADS)))


def _cut_files(files: list[list[tuple[ChipSpec, Path]]]) -> list[dict[str, int] | str]:
    """Cut each band file's chips concurrently: in the process pool, or in threads if
    it cannot run (a file cut twice is harmless: files are replaced whole)."""
    if len(files) <= 1:  # one file: GDAL decodes it on all cores itself
        return [cut_file_reporting(f, decode_threads=None) for f in files]
    pool = cut_pool()
    if pool is not None:
        try:
            return list(pool.map(cut_file_reporting, files, chunksize=_chunk(len(files))))
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


def run_in_thread(job: ChipJob, work: Sequence[SceneWork], refresh: bool) -> None:
    close_old_connections()
    try:
        run_in_process(job, work, refresh=refresh)
    except Exception as exc:  # the job must say it stopped, whatever the cause
        log.exception("job %s failed", job.pk)
        ChipJob.objects.filter(pk=job.pk).update(status="failed", errors={"": str(exc)})
    finally:
        connection.close()
