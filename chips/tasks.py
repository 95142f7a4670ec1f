"""Celery tasks of the chips app: the entry points only (Celery's autodiscovery imports
this module in every worker).

Every unit of work (a scene's raw chips, a composite, a scene's signatures) is one
`chips.run_unit` task of the work layer (chips.work.tasks); the flows are imported here so
that the runner of each kind of job is registered in the worker. The nightly flush is the
store's.
"""

from __future__ import annotations

from celery import shared_task

import chips.composite.make
import chips.raw.cut
import chips.signatures.work  # noqa: F401  (with the two above: the runners, registered)
from chips.store import cache
from chips.work.tasks import run_unit

__all__ = ["flush_chip_cache", "run_unit"]


@shared_task(name="chips.flush_chip_cache")
def flush_chip_cache() -> dict[str, int]:
    """The nightly flush (Celery beat, CHIP_CACHE_FLUSH_HOUR:MINUTE Europe/Brussels)."""
    result = cache.flush_cache()
    return {"records": result.records, "files": result.files}
