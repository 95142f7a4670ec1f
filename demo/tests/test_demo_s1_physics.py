"""The demo's Sentinel-1 follows the fields' true events (demo/generator/s1.py): coherence
rises after a cut or a harvest and drops when the event falls between the two dates,
ploughing raises VV, growth raises VH, rain lowers coherence; speckle has ENL 4.4."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from demo.generator import fields, s1
from demo.generator.archive import _rng
from demo.generator.events import GRASS, MAIZE, WHEAT
from demo.generator.site import Site

LAYOUT = fields.make_layout(Site(512).ground_bbox_national(), _rng(0, "fields"), 1.0)


def at(doy: float, direction: str = "DESCENDING") -> s1.Pass:
    when = datetime(2024, 1, 1, 5, 50, tzinfo=UTC) + timedelta(days=doy - 1)
    return s1.Pass("S1A", 37, direction, when)


def coh(a: float, b: float, rain: set[date] | None = None) -> np.ndarray:
    return s1.coherence(LAYOUT, at(a), at(b), rain or set())[0][:-1]


def test_mowing_raises_grassland_coherence() -> None:
    grass = np.flatnonzero((LAYOUT.cover == GRASS) & np.isfinite(LAYOUT.events.mow[:, 0]))
    assert grass.size > 5
    for cell in grass[:10]:
        d = float(LAYOUT.events.mow[cell, 0])
        before = coh(d - 13, d - 7)[cell]
        across = coh(d - 3, d + 3)[cell]
        after = coh(d + 1, d + 7)[cell]
        assert 0.26 <= before <= 0.36 and after >= before + 0.05
        assert across < before  # the cut between the dates decorrelates
        # Regrowth brings it back down over some weeks.
        assert coh(d + 15, d + 21)[cell] < after - 0.02


def test_harvest_and_ploughing() -> None:
    wheat = np.flatnonzero((LAYOUT.cover == WHEAT) & np.isfinite(LAYOUT.events.plough))
    cell = int(wheat[0])
    h, p = float(LAYOUT.events.harvest[cell]), float(LAYOUT.events.plough[cell])
    assert coh(h + 1, h + 7)[cell] > coh(h - 20, h - 14)[cell] + 0.2  # stubble is coherent
    vv_before = s1.backscatter_db(LAYOUT, at(p - 2), False)[0][cell]
    vv_after = s1.backscatter_db(LAYOUT, at(p + 2), False)[0][cell]
    assert vv_after > vv_before + 3  # a rough, freshly ploughed soil


def test_growth_raises_maize_vh_and_rain_lowers_coherence() -> None:
    maize = np.flatnonzero(LAYOUT.cover == MAIZE)
    em = LAYOUT.events.emergence[maize]
    vh_early = s1.backscatter_db(LAYOUT, at(float(np.nanmin(em)) - 15), False)[1][maize]
    vh_full = s1.backscatter_db(LAYOUT, at(220), False)[1][maize]
    # About -22 dB at emergence to -13 at full canopy (sentinel1.md), +- the field's soil.
    assert np.all(vh_full > vh_early + 5) and np.all((vh_full > -16) & (vh_early < -19))
    wet = {at(200).start.date()}
    wet_coh, dry_coh = coh(200, 206, wet), coh(200, 206)
    assert np.all(wet_coh <= dry_coh) and (wet_coh < dry_coh).mean() > 0.9


def test_speckle_is_gamma_with_enl_44() -> None:
    sample = s1.speckled(np.full((400, 400), -10.0), np.random.default_rng(1))
    assert abs(sample.mean() - 0.1) < 0.002
    enl = sample.mean() ** 2 / sample.var()
    assert 4.1 < enl < 4.7


def test_two_tracks_every_six_days() -> None:
    passes = s1.passes(date(2024, 6, 1), date(2024, 6, 28))
    by_track: dict[int, list[s1.Pass]] = {}
    for p in passes:
        by_track.setdefault(p.relative_orbit, []).append(p)
    assert {p.direction for p in by_track[37]} == {"DESCENDING"}
    assert {p.direction for p in by_track[88]} == {"ASCENDING"}
    for track in by_track.values():
        gaps = {(b.start - a.start).days for a, b in zip(track, track[1:], strict=False)}
        assert gaps == {6}
        # Consistent names: the relative orbit follows from the absolute one.
        offsets = {"S1A": 73, "S1B": 27}
        assert all((p.absolute_orbit - offsets[p.platform]) % 175 + 1 == p.relative_orbit
                   for p in track)  # fmt: skip
