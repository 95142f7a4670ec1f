"""Markers through the work layer (chips.work): a dataset's parcels still to do, in batches,
one unit per batch (services.process_batch), as one markers job made here without a
broker or on the Celery workers (markers.tasks registers the runner in every worker).

A batch records its events and lights in one transaction and replaces what was there, so a
unit redone after its worker died (acks_late: its message goes back to the broker) leaves
every parcel once; a second run while one is running joins it (the same key: the same
parcels, detector and rules)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from chips.models import ChipJob, JobKind
from chips.work import dispatch, jobs
from chips.work.units import Outcome, Reported, Unit, runner
from markers import services
from markers.detect import VERSION

log = logging.getLogger(__name__)


def batch_unit(dataset_id: int, parcel_ids: Sequence[int]) -> Unit:
    """A batch of a dataset's parcels; its key names its first and last parcel and its
    size (batches are cut from the sorted parcels to do: no two of a run share a key)."""
    ids = sorted(parcel_ids)
    key = f"d{dataset_id}:p{ids[0]}-{ids[-1]}:{len(ids)}"
    return Unit(JobKind.MARKERS, (key,), {"dataset": dataset_id, "parcels": ids})


def open_job(dataset_id: int, fingerprint: str, units: Sequence[Unit]) -> tuple[ChipJob, bool]:
    """The markers job of these batches, opened and submitted, or the running one of the
    same work (same batches, detector and rules) joined."""
    token = f"markers:d{dataset_id}:{VERSION}:{fingerprint}"
    key = jobs.job_key(kind=JobKind.MARKERS, token=token, keys=[u.keys[0] for u in units])
    entries = [jobs.Entry(u.keys[0], u.keys[0]) for u in units]
    job, created = jobs.open_or_join(
        key, kind=JobKind.MARKERS, entries=entries, owner=dispatch.owner()
    )
    if created:
        dispatch.submit(job, units)
    return job, created


@runner(JobKind.MARKERS)
def marker_units(job: ChipJob, units: Sequence[Unit]) -> Iterator[Reported]:
    """Each batch in turn (the detector is plain numpy on one core; the broker spreads
    batches over workers), reported as soon as it is recorded."""
    for unit in units:
        yield [(unit, _batch(unit))]


def _batch(unit: Unit) -> Outcome:
    dataset_id, parcels = unit.payload["dataset"], unit.payload["parcels"]
    log.info("markers: dataset %s batch %s started", dataset_id, unit.keys[0])
    try:
        done = services.process_batch(dataset_id, parcels)
    except Exception as exc:  # one batch's failure (a bad row) must not stop the others
        log.exception("markers: dataset %s batch %s failed", dataset_id, unit.keys[0])
        return Outcome(failed={unit.keys[0]: str(exc) or type(exc).__name__})
    log.info("markers: dataset %s batch %s done, %d parcels", dataset_id, unit.keys[0], done)
    return Outcome()
