"""extract_markers: every parcel of a dataset, signatures first where the store lacks them
(chips.signatures.bulk, extract_signatures' machinery), then events and lights in batches
of parcels (services.process_batch, the unit).

Idempotent and resumable: a parcel whose light carries the current detector version and
rules fingerprint is done; a batch records in one transaction, so a run killed midway
leaves whole batches and the next run does the rest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chips.signatures import bulk as signatures_bulk
from markers import services, store
from markers.detect import VERSION
from markers.models import TrafficLight
from markers.rules import rulebook
from parcels.models import Parcel, ParcelDataset


@dataclass
class Outcome:
    parcels: int = 0
    already: int = 0
    computed: int = 0
    batches: int = 0
    signature_scenes: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    lights: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    signature_seconds: float = 0.0


def fill_signatures(dataset: ParcelDataset, outcome: Outcome) -> None:
    start, end = store.season_window(dataset.year)
    scenes = signatures_bulk.dataset_scenes(dataset, level="LEVEL2A", start=start, end=end)
    began = time.perf_counter()
    done = signatures_bulk.extract(dataset, scenes, list(store.BANDS))
    outcome.signature_scenes = done.extracted
    outcome.failed.update(done.failed)
    outcome.signature_seconds = time.perf_counter() - began


def todo(dataset: ParcelDataset, force: bool) -> tuple[list[int], int]:
    """The dataset's parcels still to do (all with force), and how many there are."""
    every = list(Parcel.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True))
    if force:
        return every, len(every)
    book = rulebook(dataset)
    done = set(
        TrafficLight.objects.filter(
            parcel__dataset=dataset, year=dataset.year, detector=VERSION, rules=book.fingerprint
        ).values_list("parcel_id", flat=True)
    )
    return [p for p in every if p not in done], len(every)


def extract(
    dataset: ParcelDataset,
    *,
    batch: int,
    force: bool = False,
    signatures: bool = True,
    progress: Callable[[int], None] = lambda n: None,
    started: Callable[[int, int], None] = lambda todo, total: None,
) -> Outcome:
    outcome = Outcome()
    began = time.perf_counter()
    if signatures:
        fill_signatures(dataset, outcome)
    parcels, total = todo(dataset, force)
    outcome.parcels, outcome.already = total, total - len(parcels)
    started(len(parcels), total)
    for i in range(0, len(parcels), batch):
        chunk = parcels[i : i + batch]
        outcome.computed += services.process_batch(dataset.pk, chunk)
        outcome.batches += 1
        progress(len(chunk))
    counts = TrafficLight.objects.filter(parcel__dataset=dataset, year=dataset.year)
    for light in ("green", "yellow", "red"):
        outcome.lights[light] = counts.filter(light=light).count()
    outcome.seconds = time.perf_counter() - began
    return outcome
