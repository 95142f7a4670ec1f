"""Bulk extraction (manage.py extract_signatures): every parcel of a dataset on every
scene of a window, one task per scene on the workers, or here without a broker.

Idempotent and resumable: a scene is done once its SignatureExtraction mark is recorded
(with its rows, in one transaction); a second run skips it, a run after a kill redoes only
the scenes without a mark and joins the runs still live on the workers.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon
from django.db import transaction

from chips import dispatch, tasks
from chips.catalogue import selection
from chips.catalogue.models import Scene
from chips.raster.errors import ChipError
from chips.signatures.compute import close_run, extract_scene, open_run
from chips.signatures.models import SignatureExtraction, SignatureRun
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


def done_scenes(dataset: ParcelDataset, bands: Sequence[str]) -> set[int]:
    """Scenes whose extraction for the dataset holds every band asked."""
    marks = SignatureExtraction.objects.filter(dataset=dataset).values_list("scene_id", "bands")
    return {pk for pk, held in marks if set(bands) <= set(held)}


def _send(message: tuple[str, int, int, list[str]]) -> None:
    tasks.extract_scene_signatures.apply_async(args=message)


def extract(
    dataset: ParcelDataset,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    *,
    progress: Callable[[int], None] = lambda n: None,
    timeout: float = 24 * 3600,
) -> Outcome:
    """Extract the scenes not done yet; `progress(n)` as n more scenes are over."""
    started = time.perf_counter()
    wanted = sorted(bands)
    done = done_scenes(dataset, wanted)
    todo = [s for s in scenes if s.pk not in done]
    outcome = Outcome(scenes=len(scenes), already=len(scenes) - len(todo))
    progress(outcome.already)
    if dispatch.in_process():
        for scene in todo:
            try:
                mark = extract_scene(dataset.pk, scene.pk, wanted)
            except ChipError as exc:
                outcome.failed[scene.product_id] = str(exc)
            else:
                outcome.extracted += 1
                outcome.rows += mark.rows
                outcome.parcels += mark.parcels
            progress(1)
    else:
        _on_workers(dataset, todo, wanted, outcome, progress, timeout)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _on_workers(
    dataset: ParcelDataset,
    todo: Sequence[Scene],
    bands: list[str],
    outcome: Outcome,
    progress: Callable[[int], None],
    timeout: float,
) -> None:
    """One task per scene (joining runs already live), then wait for all of them."""
    keys = {f"d{dataset.pk}:s{scene.pk}": scene for scene in todo}
    for key, scene in keys.items():
        if open_run(key):
            transaction.on_commit(functools.partial(_send, (key, dataset.pk, scene.pk, bands)))
    over: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(over) < len(keys):
        runs = dict(SignatureRun.objects.filter(key__in=list(keys)).values_list("key", "error"))
        now_over = {k for k in keys if k not in over and (k not in runs or runs[k])}
        for key in now_over:
            if runs.get(key):
                outcome.failed[keys[key].product_id] = runs[key]
                close_run(key)  # gone: the next run tries again
        over |= now_over
        if now_over:
            progress(len(now_over))
        if len(over) < len(keys):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(keys) - len(over)} scenes still running")
            time.sleep(POLL_SECONDS)
    marks = SignatureExtraction.objects.filter(dataset=dataset, scene__in=[s.pk for s in todo])
    for mark in marks:
        outcome.extracted += 1
        outcome.rows += mark.rows
        outcome.parcels += mark.parcels
