"""Bulk extraction (manage.py extract_signatures): every parcel of a dataset on every
scene of a window: a signature job (chips.work), one unit per scene, on the workers or here
without a broker.

Idempotent and resumable: a scene is done once its SignatureExtraction mark is recorded
(with its rows, in one transaction); a second run skips it, a run after a kill redoes only
the scenes without a mark and joins the runs still live on the workers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon

from chips.catalogue import selection
from chips.catalogue.models import Scene
from chips.catalogue.sar_models import SarScene
from chips.catalogue.selection import utc_window
from chips.models import JobStatus
from chips.signatures.models import SarExtraction, SignatureExtraction
from chips.signatures.work import dataset_unit, open_job, sar_dataset_unit
from chips.work import jobs
from parcels.models import Parcel, ParcelDataset

POLL_SECONDS = 0.2


@dataclass
class Outcome:
    """What a bulk run did, for its summary."""

    scenes: int = 0
    extracted: int = 0
    already: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    parcels: int = 0
    seconds: float = 0.0


def dataset_scenes(
    dataset: ParcelDataset, *, level: str, start: dt.date, end: dt.date
) -> list[Scene]:
    """The scenes of the window whose data footprint meets the dataset's extent."""
    extent = Parcel.objects.filter(dataset=dataset).aggregate(box=Extent("geom"))["box"]
    if extent is None:
        return []
    box = Polygon.from_bbox(extent)
    box.srid = 4326
    return selection.candidate_scenes(square=box, level=level, start=start, end=end)


def sar_dataset_products(
    dataset: ParcelDataset, *, kind: str, start: dt.date, end: dt.date
) -> list[SarScene]:
    """The Sentinel-1 products of the window whose footprint meets the dataset's extent
    (every one: a parcel's series keeps every pass)."""
    extent = Parcel.objects.filter(dataset=dataset).aggregate(box=Extent("geom"))["box"]
    if extent is None:
        return []
    box = Polygon.from_bbox(extent)
    box.srid = 4326
    lo, hi = utc_window(start, end)
    rows = SarScene.objects.filter(
        kind=kind, sensing_time__gte=lo, sensing_time__lt=hi, footprint__intersects=box
    )
    return list(rows.order_by("sensing_time", "product_id"))


def done_scenes(
    dataset: ParcelDataset,
    bands: Sequence[str],
    marks_model: type[SignatureExtraction] | type[SarExtraction] = SignatureExtraction,
) -> set[int]:
    """Scenes whose extraction for the dataset holds every band asked."""
    marks = marks_model.objects.filter(dataset=dataset).values_list("scene_id", "bands")
    return {pk for pk, held in marks if set(bands) <= set(held)}


def extract(
    dataset: ParcelDataset,
    scenes: Sequence[Scene] | Sequence[SarScene],
    bands: Sequence[str],
    *,
    progress: Callable[[int], None] = lambda n: None,
    timeout: float = 24 * 3600,
) -> Outcome:
    """Extract the scenes (Sentinel-2 scenes, or Sentinel-1 products: their polarisations
    as `bands`) not done yet; `progress(n)` as n more scenes are over."""
    started = time.perf_counter()
    wanted = sorted(bands)
    sar = bool(scenes) and isinstance(scenes[0], SarScene)
    done = done_scenes(dataset, wanted, SarExtraction if sar else SignatureExtraction)
    todo = [s for s in scenes if s.pk not in done]
    outcome = Outcome(scenes=len(scenes), already=len(scenes) - len(todo))
    progress(outcome.already)
    if todo:
        _run(dataset, todo, wanted, outcome, progress, timeout, sar=sar)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run(
    dataset: ParcelDataset,
    todo: Sequence[Scene | SarScene],
    bands: list[str],
    outcome: Outcome,
    progress: Callable[[int], None],
    timeout: float,
    *,
    sar: bool = False,
) -> None:
    """One signature job, a unit per scene (the same run going already is joined), then
    wait for it, telling `progress` as scenes are over."""
    if sar:
        units = [sar_dataset_unit(dataset.pk, s, bands) for s in todo if isinstance(s, SarScene)]
        owner = f"d{dataset.pk}:s1:{','.join(bands)}"
    else:
        units = [dataset_unit(dataset.pk, s, bands) for s in todo if isinstance(s, Scene)]
        owner = f"d{dataset.pk}:{','.join(bands)}"
    job, _ = open_job(owner, units, [s.product_id for s in todo])
    deadline = time.monotonic() + timeout
    told = 0
    while True:
        job = jobs.wait(job, timeout=POLL_SECONDS)
        if job.done > told:
            progress(job.done - told)
            told = job.done
        if job.status != JobStatus.RUNNING:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(todo) - job.done} scenes still running")
    outcome.failed.update(job.errors)
    if job.failure:  # its workers were lost: every scene not reported is redone next run
        reported = set(job.reported)
        outcome.failed.update({s.product_id: job.failure for s, u in zip(todo, units, strict=True)
                               if u.keys[0] not in reported})  # fmt: skip
    model: type[SarExtraction] | type[SignatureExtraction]
    model = SarExtraction if sar else SignatureExtraction
    marks = model.objects.filter(dataset=dataset, scene__in=[s.pk for s in todo])
    for mark in marks:
        outcome.extracted += 1
        outcome.rows += mark.rows
        outcome.parcels += mark.parcels
