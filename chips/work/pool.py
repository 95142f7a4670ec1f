"""The in-process cut pool: CUT_THREADS worker processes that make the units of in-process
jobs (no broker: the demo, most tests), started by the first job with more than one thing
to make and kept for the life of the process (starting costs ~300 ms).

Threads shared about one core for COG chips: each chip is a few short GDAL calls (open,
decode a block, encode a GeoTIFF) and the GIL and a lock around dataset opens serialise them
(24 chips on 2 cores: 2 threads ~1.25x one thread, 2 processes ~1.8x; cold COG request 1.5x
-> 1.15x the rio-tiler loop, docs/benchmarks-chips.md). "forkserver": workers start from a
clean process, not a fork of this one with its GDAL state, database connections and threads;
they import only chips.raster (no Django). They keep the environment (AWS_*, GDAL options)
this process had when the pool started.

The functions run here are module-level functions of chips.raster that answer their
failures as values (a ChipError, picklable): one file's failure never stops the others. A
worker killed mid-work (out of memory, a signal) breaks the pool: what was left is made
again, once, in threads here, and later jobs use threads too.
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
from typing import TypeVar

from chips.raster.orphan_guard import exit_with_parent
from chips.raster.threads import CUT_THREADS

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class _Pool:
    """The process's pool, started on first use; given up for good once it broke."""

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None
        self.broken = False
        self.serial = False  # a Celery worker: one thing at a time, the broker spreads work
        self.lock = threading.Lock()

    def get(self) -> ProcessPoolExecutor | None:
        with self.lock:
            if self.executor is None and not self.broken and not self.serial:
                try:
                    self.executor = ProcessPoolExecutor(
                        CUT_THREADS,
                        mp_context=multiprocessing.get_context("forkserver"),
                        initializer=exit_with_parent,
                        initargs=(os.getpid(),),
                    )
                except (OSError, ValueError) as exc:
                    self._drop(exc)
            return self.executor

    def drop(self, executor: ProcessPoolExecutor, exc: BaseException) -> None:
        with self.lock:
            if self.executor is executor:
                self._drop(exc)

    def _drop(self, exc: BaseException) -> None:
        """Give up on worker processes for the rest of this process: threads instead."""
        log.warning("no cut worker processes (%s): cutting in threads", exc)
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor, self.broken = None, True


_POOL = _Pool()


def serial_here() -> None:
    """This process makes its units one at a time, here, without a pool: a Celery worker
    (its concurrency is the broker's to spread; each band file decodes on all cores)."""
    _POOL.serial = True


def cut_pool() -> ProcessPoolExecutor | None:
    """The process pool for in-process jobs, or None if it could not start here."""
    return _POOL.get()


def as_done(fn: Callable[[T], R], args: Sequence[T]) -> Iterator[list[tuple[int, R]]]:
    """`fn(arg)` for each arg on the pool's workers at once, yielding [(index, result)] of
    those that finished since the last yield, in the order they finish. If the pool cannot
    run (or breaks: a worker killed), what is left runs in threads here instead."""
    left = dict(enumerate(args))
    if _POOL.serial:
        for i, arg in left.items():
            yield [(i, fn(arg))]
        return
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
        except (OSError, RuntimeError) as exc:  # BrokenProcessPool: a worker died
            for future in pending:
                future.cancel()
            _POOL.drop(pool, exc)
    if left:
        with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(left))) as threads:
            futures = {threads.submit(fn, arg): i for i, arg in left.items()}
            for future in as_completed(futures):
                yield [(futures[future], future.result())]


def _chunk(count: int) -> int:
    """Items per message to a pool worker: two messages a worker (one to work on, one
    queued), as each message costs the sending thread ~0.4 ms (pickling, waking the pool's
    feeder): 24 files one by one cost 11 ms of a 75 ms cold request."""
    return max(1, math.ceil(count / (2 * CUT_THREADS)))


def map_all(fn: Callable[[T], R], args: Sequence[T], *, alone: Callable[[T], R]) -> list[R]:
    """`fn(arg)` for every arg at once, in order: on the pool's workers in chunks, or in
    threads if it cannot run (an item made twice is harmless: files are replaced whole).
    A single item runs here through `alone` (e.g. GDAL decoding on all cores itself)."""
    if len(args) <= 1 or _POOL.serial:
        return [alone(a) for a in args]
    pool = cut_pool()
    if pool is not None:
        try:
            return list(pool.map(fn, args, chunksize=_chunk(len(args))))
        except (OSError, RuntimeError) as exc:  # BrokenProcessPool: a worker died (killed,
            # out of memory): this job's items are made again in threads, later jobs too.
            _POOL.drop(pool, exc)
    with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(args))) as threads:
        return list(threads.map(fn, args))
