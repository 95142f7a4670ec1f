"""The S2 detector on short hand-built series (markers.detect.s2): events where the series
says so, none where it is cloud, shadow, a gap or a change of viewing geometry."""

from __future__ import annotations

import numpy as np

from markers.detect import s2
from markers.tests.series_builder import day, every, grass, series


def kinds(events: list[s2.Event], kind: str) -> list[s2.Event]:
    return [e for e in events if e.kind == kind]


def test_one_mowing_is_found_and_bracketed() -> None:
    days = every(day(5, 1), 16)
    cut = day(5, 28)
    events, _ = s2.detect(series(days, grass(days, [cut])))
    mowings = kinds(events, "mowing")
    assert len(mowings) == 1
    m = mowings[0]
    # The bracket: the last observation before the cut and the first after it.
    assert m.start == max(d for d in days if d < cut) and m.end == min(d for d in days if d >= cut)
    assert abs(m.main - cut) <= 3
    assert m.before > m.after and m.signal == "NDVI" and m.sensors == "S2"
    assert 0 < m.confidence <= 1
    assert not kinds(events, "harvest")


def test_two_close_mowings_are_two_events() -> None:
    days = every(day(5, 1), 24)
    cuts = [day(5, 20), day(6, 14)]  # 25 days apart
    events, _ = s2.detect(series(days, grass(days, cuts)))
    mains = [e.main for e in kinds(events, "mowing")]
    assert len(mains) == 2
    assert all(abs(m - c) <= 3 for m, c in zip(mains, cuts, strict=True))


def test_a_cloud_residue_drop_that_rebounds_is_not_an_event() -> None:
    days = every(day(5, 1), 14)
    ndvi = [0.82] * 14
    ndvi[6] = 0.45  # an unflagged cloud: SCL says clear, the canopy is there 5 days later
    events, cleaned = s2.detect(series(days, ndvi))
    assert not events
    assert list(cleaned.artefacts) == [6]


def test_a_shadow_that_darkens_swir_for_one_date_is_not_ploughing() -> None:
    days = every(day(8, 1), 10)
    swir = [0.34] * 10
    swir[4] = 0.22  # undetected shadow over stubble
    events, cleaned = s2.detect(series(days, [0.25] * 10, swir=swir))
    assert not kinds(events, "ploughing")
    assert 4 in cleaned.artefacts


def test_ploughing_darkens_swir_and_stays_dark() -> None:
    days = every(day(8, 1), 10)
    swir = [0.34] * 5 + [0.25] * 5
    ndvi = [0.30] * 5 + [0.20] * 5
    events, _ = s2.detect(series(days, ndvi, swir=swir))
    ploughs = kinds(events, "ploughing")
    assert len(ploughs) == 1 and ploughs[0].start == days[4] and ploughs[0].end == days[5]
    assert ploughs[0].signal == "B11"


def test_harvest_after_senescence_but_not_the_senescence() -> None:
    days = every(day(6, 1), 20)
    # green, drying down by 0.04 a step (not an event), then cut to stubble
    ndvi = [0.85] * 6 + [0.81, 0.77, 0.73, 0.69, 0.65, 0.61, 0.57, 0.53] + [0.22] * 6
    events, _ = s2.detect(series(days, ndvi, swir=[0.2] * 14 + [0.35] * 6))
    assert [e.kind for e in events if e.kind != "bare_soil"] == ["harvest"]
    assert kinds(events, "harvest")[0].end == days[14]


def test_cloudy_dates_are_left_out_by_min_clear() -> None:
    days = every(day(5, 1), 14)
    ndvi = [0.82] * 14
    ndvi[6] = ndvi[7] = 0.3
    clear = [100.0] * 14
    clear[6] = clear[7] = 40.0
    events, cleaned = s2.detect(series(days, ndvi, clear=clear))
    assert not events and 6 not in cleaned.kept and 7 not in cleaned.kept


def test_an_orbit_change_of_view_angle_is_not_an_event() -> None:
    # Two orbits alternate; the western one sees the canopy 0.06 NDVI lower (BRDF): no
    # step between them is an event.
    days = every(day(5, 1), 20, step=3)
    ndvi = [0.80 if i % 2 else 0.74 for i in range(20)]
    events, _ = s2.detect(series(days, ndvi))
    assert not events


def test_emergence_is_the_half_amplitude_crossing() -> None:
    days = every(day(4, 1), 30)
    mid = day(5, 20)
    ndvi = [0.2 + 0.65 / (1 + np.exp(-(d - mid) / 8)) for d in days]
    events, _ = s2.detect(series(days, ndvi))
    em = kinds(events, "emergence")
    assert len(em) == 1 and abs(em[0].main - mid) <= 2


def test_a_long_gap_hides_the_change() -> None:
    # The only observations around the cut are 50 days apart: no date can be given.
    days = [day(5, 1), day(5, 6), day(6, 25), day(6, 30)]
    events, _ = s2.detect(series(days, [0.82, 0.82, 0.55, 0.6]))
    assert not kinds(events, "mowing")


def test_a_cut_that_regrows_fast_stands_when_swir_brightens() -> None:
    # A cut seen once (NDVI 0.53, the sward drier and soil showing: SWIR-1 up 20 %), the
    # date before it a little hazy (0.74), the sward back to 0.69 a week later: a rebound
    # of 76 % of the drop in 7 days, which the artefact test alone reads as cloud.
    days = [day(5, 9), day(5, 14), day(5, 16), day(5, 24), day(5, 31), day(6, 3), day(6, 8)]
    ndvi = [0.82, 0.82, 0.744, 0.534, 0.694, 0.72, 0.75]
    swir = [0.21, 0.21, 0.217, 0.26, 0.238, 0.232, 0.225]
    events, cleaned = s2.detect(series(days, ndvi, swir=swir))
    [mowing] = kinds(events, "mowing")
    assert (mowing.start, mowing.end) == (day(5, 16), day(5, 24)) and not len(cleaned.artefacts)
    # The same dip with SWIR-1 darker (undetected shadow): set aside, no event.
    shadow = [0.21, 0.21, 0.217, 0.16, 0.238, 0.232, 0.225]
    events, cleaned = s2.detect(series(days, ndvi, swir=shadow))
    assert not kinds(events, "mowing") and list(cleaned.artefacts) == [3]
