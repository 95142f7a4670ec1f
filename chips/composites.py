"""Composite chips (PNG) for chipsByLocation and chipsByParcelID: the public names.

A composite is three raw chips of one scene (cut by the raw machinery into the shared store)
rendered by chips.render into CHIP_STORE/png/<key[:2]>/<key>.png and recorded in the client's
cache as `<product>.png`. The work of a request is a chip job (chips.jobs), one task per
scene on the workers (without a broker, in a thread beside the web request): a reload or a
status poll of the same request finds the running job and joins it instead of starting
again. Progress is read from the cache records.

The parts, one module each:
  - composite_plan: planning the composites of a request (scenes, raw chips, keys, cache),
  - composite_work: starting the request's job for what the client lacks, or joining it,
  - composite_make: making one composite from its raw chips (a task's body),
  - composite_status: where a request or a job stands, read from the cache.
"""

from __future__ import annotations

from .composite_make import build_composite, make_composite
from .composite_plan import (
    COMPOSITE_VERSION,
    CompositePlan,
    CompositeRequest,
    PlannedComposite,
    composite_key,
    plan_composites,
)
from .composite_status import (
    ChipState,
    PlanStatus,
    PngFacts,
    cloud_text,
    held_composites,
    job_progress,
    plan_status,
    png_facts,
)
from .composite_work import TooManyChips, composite_message, ensure_work
from .render import Lut

__all__ = [
    "COMPOSITE_VERSION",
    "ChipState",
    "CompositePlan",
    "CompositeRequest",
    "Lut",
    "PlanStatus",
    "PlannedComposite",
    "PngFacts",
    "TooManyChips",
    "build_composite",
    "cloud_text",
    "composite_key",
    "composite_message",
    "ensure_work",
    "held_composites",
    "job_progress",
    "make_composite",
    "plan_composites",
    "plan_status",
    "png_facts",
]
