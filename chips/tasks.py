"""Celery tasks of the chips app: thin wrappers over the raster core and the cache.

With no broker (the demo and the tests) they run in-process with the same results.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import cache
from .chipspec import ChipSpec
from .extract import cut_chips


@shared_task(name="chips.cut_scene_chips")
def cut_scene_chips(specs: list[dict[str, Any]]) -> dict[str, int]:
    """Cut every chip of one scene (one task per scene, so a worker opens each band file
    once). Answers {spec key: bytes written}, 0 for a chip without a valid pixel. Files go
    to the shared store; the request that asked records them for its client."""
    jobs = []
    for data in specs:
        spec = ChipSpec.from_dict(data)
        jobs.append((spec, cache.store_path(cache.stored_relpath(spec))))
    return cut_chips(jobs)


@shared_task(name="chips.flush_chip_cache")
def flush_chip_cache() -> dict[str, int]:
    """The nightly flush (Celery beat, CHIP_CACHE_FLUSH_HOUR:MINUTE Europe/Brussels)."""
    result = cache.flush_cache()
    return {"records": result.records, "files": result.files}
