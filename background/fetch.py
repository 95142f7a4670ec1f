"""Run a source read under a deadline and a bound on concurrent reads per source, so that a
source which hangs answers 503 in time and cannot take every worker thread with it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

from background.imagery import SourceReadError, SourceSpec, read_image

# One pool for every source: a read past its deadline keeps its thread until GDAL's own HTTP
# timeout ends it, and the per-source bound below keeps such threads few.
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="background")
_LIMITS: dict[str, threading.BoundedSemaphore] = {}
_LIMITS_LOCK = threading.Lock()


class SourceBusy(SourceReadError):
    """Every slot of the source is taken by reads still running."""


class SourceTimeout(SourceReadError):
    """The source did not answer within the deadline."""


def _limit(key: str, slots: int) -> threading.BoundedSemaphore:
    with _LIMITS_LOCK:
        limit = _LIMITS.get(key)
        if limit is None:
            limit = _LIMITS[key] = threading.BoundedSemaphore(max(1, slots))
        return limit


def deadline_of(spec: SourceSpec) -> float:
    """Seconds a read may take: every try of GDAL's HTTP timeout, and a little for the rest."""
    return spec.timeout * (spec.retries + 1) + 0.5 * spec.retries + 2.0


def fetch_image(
    spec: SourceSpec,
    bounds: tuple[float, float, float, float],
    size: int,
    *,
    max_fetches: int,
    deadline: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """read_image within the deadline: SourceTimeout past it, SourceBusy when the source's
    slots stay taken that long, SourceReadError when the source fails."""
    deadline = deadline_of(spec) if deadline is None else deadline
    limit = _limit(spec.key, max_fetches)
    if not limit.acquire(timeout=deadline):
        raise SourceBusy(f"{max_fetches} reads of the source still running")

    def run() -> tuple[np.ndarray, np.ndarray]:
        try:
            return read_image(spec, bounds, size)
        finally:
            limit.release()  # when the read ends, even after its caller gave up

    future = _POOL.submit(run)
    try:
        return future.result(timeout=deadline)
    except FutureTimeout:
        raise SourceTimeout(f"no answer within {deadline:.0f} s") from None
