"""extract_markers: every parcel of a dataset, signatures first where the store lacks them
(chips.signatures.bulk, extract_signatures' machinery), then events and lights in batches
of parcels: one markers job of the work layer, a unit per batch (markers.work), made here
without a broker or on the Celery workers.

Idempotent and resumable: a parcel whose light carries the current detector version and
rules fingerprint is done; a batch records in one transaction, so a run killed midway
leaves whole batches and the next run does the rest, and a worker killed mid-batch has its
batch redone by another (the recording replaces: nothing twice)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chips.models import JobStatus
from chips.signatures import bulk as signatures_bulk
from chips.signatures import s1_series
from chips.work import jobs
from markers import store, work
from markers.detect import VERSION
from markers.models import TrafficLight
from markers.rules import Rulebook, rulebook
from parcels.models import Parcel, ParcelDataset

POLL_SECONDS = 0.2


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
    # Sentinel-1 too, where the archive has it: the bulk run reads the S1 rows the store
    # holds (markers.s1_input.read_parcels) and computes none itself.
    for kind in s1_series.TSTYPE_KINDS.values():
        products = signatures_bulk.sar_dataset_products(dataset, kind=kind, start=start, end=end)
        if products:
            done = signatures_bulk.extract(dataset, products, list(s1_series.POLARISATIONS))
            outcome.signature_scenes += done.extracted
            outcome.failed.update(done.failed)
    outcome.signature_seconds = time.perf_counter() - began


def todo(dataset: ParcelDataset, force: bool, book: Rulebook) -> tuple[list[int], int]:
    """The dataset's parcels still to do (all with force), and how many there are."""
    every = list(Parcel.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True))
    if force:
        return every, len(every)
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
    timeout: float = 24 * 3600,
) -> Outcome:
    outcome = Outcome()
    began = time.perf_counter()
    if signatures:
        fill_signatures(dataset, outcome)
    book = rulebook(dataset)
    parcels, total = todo(dataset, force, book)
    outcome.parcels, outcome.already = total, total - len(parcels)
    started(len(parcels), total)
    if parcels:
        _run(dataset, book.fingerprint, parcels, batch, outcome, progress, timeout)
    counts = TrafficLight.objects.filter(parcel__dataset=dataset, year=dataset.year)
    for light in ("green", "yellow", "red"):
        outcome.lights[light] = counts.filter(light=light).count()
    outcome.seconds = time.perf_counter() - began
    return outcome


def _run(
    dataset: ParcelDataset,
    fingerprint: str,
    parcels: list[int],
    batch: int,
    outcome: Outcome,
    progress: Callable[[int], None],
    timeout: float,
) -> None:
    """One markers job, a unit per batch (a run of the same work going already is joined),
    waited for; `progress` told the parcels of each batch as it is over."""
    units = [work.batch_unit(dataset.pk, parcels[i : i + batch])
             for i in range(0, len(parcels), batch)]  # fmt: skip
    size = {u.keys[0]: len(u.payload["parcels"]) for u in units}
    job, _ = work.open_job(dataset.pk, fingerprint, units)
    deadline = time.monotonic() + timeout
    told: set[str] = set()
    while True:
        job = jobs.wait(job, timeout=POLL_SECONDS)
        fresh = set(job.reported) - told
        if fresh:
            progress(sum(size.get(k, 0) for k in fresh))
            told |= fresh
        if job.status != JobStatus.RUNNING:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(units) - job.done} batches still running")
    failed = dict(job.errors)
    if job.failure:  # its workers were lost: the batches not reported are redone next run
        failed.update({k: job.failure for k in size if k not in set(job.reported)})
    outcome.failed.update(failed)
    ok = [k for k in size if k in set(job.reported) and k not in failed]
    outcome.batches = len(ok)
    outcome.computed = sum(size[k] for k in ok)
