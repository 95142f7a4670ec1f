"""Events and lights: detect (markers.detect) on a parcel's series (markers.store), judge
against the dataset's rules (markers.rules), record (markers.models).

`assess` is the pure part of one parcel-season; `process_batch` is the bulk unit (a batch
of parcels from the store, recorded in one transaction); `parcel_markers` answers one
parcel on request (recorded results when they are current, else computed now)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from markers import recording, s1_input, store
from markers.detect import VERSION, fuse, lights, s2
from markers.detect import s1 as s1_detect
from markers.detect.series import S1Obs, S1Orbit, S2Series, s1_orbits
from markers.models import MarkerEvent, TrafficLight
from markers.rules import Rulebook, rulebook
from parcels.models import Parcel, ParcelDataset


@dataclass(frozen=True)
class Assessment:
    events: list[s2.Event]
    light: lights.Light
    practice: str
    cleaned: s2.Cleaned
    series: S2Series
    s1: list[S1Orbit] = field(default_factory=list)


def season_of(series: S2Series, year: int) -> tuple[int, int]:
    """The span the archive covers for this parcel (first to last acquisition, clear or
    not); the year when it has none."""
    if len(series):
        return int(series.days.min()), int(series.days.max())
    start, end = store.season_window(year)
    return start.toordinal(), end.toordinal()


def assess(
    series: S2Series, crop_code: str, year: int, book: Rulebook, s1: Sequence[S1Obs] = ()
) -> Assessment:
    """One parcel-season: S2 events, fused with S1's where the parcel has S1 observations
    (markers.detect.fuse), and the light. The light's observed dates are S2's valid ones
    and, with S1, the coherence dates too (a cut shows in coherence under cloud: an
    event S1 finds counts); an event's absence needs S2's dates (lights.evaluate)."""
    events, cleaned = s2.detect(series, settings.MARKERS_MIN_CLEAR)
    practice, rules = book.practice(crop_code)
    valid_days = series.days[cleaned.kept] if len(cleaned.kept) else np.zeros(0, np.int64)
    orbits = s1_orbits(s1) if s1 else []
    observed = valid_days
    if orbits:
        events = fuse.fuse(events, s1_detect.detect(orbits), valid_days.tolist())
        coherent = [o.days[np.isfinite(o.coh)] for o in orbits]
        observed = np.union1d(valid_days, np.concatenate(coherent)).astype(np.int64)
    light = lights.evaluate(rules, events, observed, year, season_of(series, year), valid_days)
    return Assessment(events, light, practice, cleaned, series, orbits)


def _rows(parcel_id: int, year: int, a: Assessment, rules: str) -> tuple[
        list[recording.EventRow], recording.LightRow]:  # fmt: skip
    day = dt.date.fromordinal
    events: list[recording.EventRow] = [
        (parcel_id, year, e.kind, e.sensors, day(e.start), day(e.main), day(e.end), e.before,
         e.after, round(e.change, 4), e.signal, e.confidence, e.observations, VERSION)
        for e in a.events
    ]  # fmt: skip
    lt = a.light
    light: recording.LightRow = (
        parcel_id, year, a.practice, lt.light, lt.code, lt.reason, lt.observability,
        lt.clear_observations, len(a.events), VERSION, rules,
    )  # fmt: skip
    return events, light


def record(year: int, results: dict[int, Assessment], rules_version: str) -> None:
    """Replace the parcels' events and lights for the season (one transaction: a parcel is
    either wholly recomputed or left as it was)."""
    events: list[recording.EventRow] = []
    light_rows: list[recording.LightRow] = []
    for pid, a in results.items():
        ev, light = _rows(pid, year, a, rules_version)
        events += ev
        light_rows.append(light)
    recording.replace(year, list(results), events, light_rows)


def process_batch(dataset_id: int, parcel_ids: Sequence[int]) -> int:
    """The bulk unit: a batch of a dataset's parcels, series from the store, assessed and
    recorded. Returns how many parcels. Safe to redo (a worker killed mid-batch): the
    recording replaces, in one transaction."""
    dataset = ParcelDataset.objects.get(pk=dataset_id)
    book = rulebook(dataset)
    scenes = store.season_scenes(dataset.year)
    crops = dict(Parcel.objects.filter(pk__in=list(parcel_ids)).values_list("pk", "crop_code"))
    series = store.batch_series([p for p in parcel_ids if p in crops], scenes)
    s1 = s1_input.read_parcels(list(series), *store.season_window(dataset.year))
    results = {pid: assess(s, crops[pid], dataset.year, book, s1.get(pid, ()))
               for pid, s in series.items()}  # fmt: skip
    record(dataset.year, results, book.fingerprint)
    return len(results)


def current(light: TrafficLight | None, book: Rulebook) -> bool:
    return light is not None and light.detector == VERSION and light.rules == book.fingerprint


def parcel_markers(
    parcel: Parcel, *, with_series: bool = False
) -> tuple[list[MarkerEvent], TrafficLight, Assessment | None]:
    """One parcel's events and light for its dataset's season: the recorded ones when they
    are current (same detector, same rules), else computed now from the store (what it
    lacks computed first through the signature flow) and recorded. `with_series` always
    reads the series (the evidence page plots it)."""
    dataset = parcel.dataset
    year = dataset.year
    book = rulebook(dataset)
    light = TrafficLight.objects.filter(parcel=parcel, year=year).first()
    a = None
    if with_series or not current(light, book):
        s1 = s1_input.read_parcel(parcel, *store.season_window(year))
        a = assess(store.parcel_series(parcel, year), parcel.crop_code, year, book, s1)
        if not current(light, book):
            record(year, {parcel.pk: a}, book.fingerprint)
            light = TrafficLight.objects.get(parcel=parcel, year=year)
    assert light is not None
    events = list(MarkerEvent.objects.filter(parcel=parcel, year=year).order_by("date_main"))
    return events, light, a
