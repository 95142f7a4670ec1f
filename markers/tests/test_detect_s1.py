"""Sentinel-1 events and their fusion with Sentinel-2 on hand-built series: backscatter and
coherence from the physical ranges of ../shared/reference/sentinel1.md (grass coherence
~0.30 before a cut, ~0.40 after for about four weeks; stubble 0.5-0.8; tillage resets a pair
to ~0.2 and roughens VV; VH of a canopy -20..-15 dB, bare soil -24..-17), not from the
detector's thresholds."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace
from statistics import NormalDist
from types import SimpleNamespace

import numpy as np

from markers.detect import fuse, lights, s1, s2
from markers.detect.series import S1Obs, s1_orbits
from markers.s1_input import observations, orbit_key
from markers.tests.series_builder import day, every, grass, series

CUT = day(6, 12)
S2_DAYS = every(day(4, 1), 37)  # every 5 days to 30 September
MOWN = [lights.Rule("expected", "mowing", (5, 15), (8, 31))]


def linear(db: float) -> float:
    return float(10 ** (db / 10))


def orbit(
    name: str, first: int, coh: Callable[[int], float], vv: Callable[[int], float],
    vh: Callable[[int], float], step: int = 6,
) -> list[S1Obs]:  # fmt: skip
    """An orbit's acquisitions every `step` days; coherence of the pair ending that day."""
    return [
        S1Obs(dt.date.fromordinal(d), name, linear(vv(d)), linear(vh(d)), coh(d), coh(d) * 0.8)
        for d in range(first, day(9, 30), step)
    ]


def mown_grass(cut: int, step: int = 6) -> Callable[[int], float]:
    def coh(d: int) -> float:
        if d - step < cut <= d:
            return 0.22  # the pair spanning the cut: the surface changed between the two
        if 0 <= d - step - cut < 28:
            return 0.40  # short sward, stable until it regrows
        return 0.30

    return coh


def grass_vh(cut: int) -> Callable[[int], float]:
    return lambda d: -17.5 if 0 <= d - cut < 28 else -16.0


def test_a_cut_seen_by_both_is_confirmed_and_dated_closer() -> None:
    sw = series(S2_DAYS, grass(S2_DAYS, [CUT]))
    alone, cleaned = s2.detect(sw)
    [mow] = [e for e in alone if e.kind == "mowing"]
    assert mow.sensors == "S2"
    obs = orbit("ASC-88", day(4, 3), mown_grass(CUT), lambda d: -10.0, grass_vh(CUT))
    s1_events = s1.detect(s1_orbits(obs))
    assert [e.kind for e in s1_events] == ["mowing"]
    [both] = [
        e for e in fuse.fuse(alone, s1_events, S2_DAYS) if e.kind == "mowing"
    ]  # fmt: skip
    assert both.sensors == "S1+S2"
    # Within both brackets, the cut inside.
    assert max(mow.start, s1_events[0].start) <= both.start <= CUT <= both.end <= mow.end
    assert both.end - both.start <= min(mow.end - mow.start, 6)
    assert abs(both.main - CUT) <= 3
    # Sure as two independent looks are: the odds multiply (S1's from even odds). One
    # orbit stays below even odds: it cannot make S2 surer; two orbits agreeing do.
    c1 = s1_events[0].confidence
    odds = mow.confidence / (1 - mow.confidence) * c1 / (1 - c1)
    assert c1 < 0.5 and abs(both.confidence - odds / (1 + odds)) <= 1e-3
    asc = orbit("DSC-37", day(4, 6), mown_grass(CUT), lambda d: -9.0, grass_vh(CUT))
    two = s1.detect(s1_orbits(with_pixels(obs + asc, 400)))
    [surer] = [e for e in fuse.fuse(alone, two, S2_DAYS) if e.kind == "mowing"]
    assert two[0].confidence > 0.5 and surer.confidence > mow.confidence


def test_a_cut_in_a_cloudy_gap_is_found_by_s1_and_the_light_decides() -> None:
    # Clear before 20 May and after 10 July only: six cloudy weeks around the cut.
    clear = [100.0 if d < day(5, 20) or d > day(7, 10) else 5.0 for d in S2_DAYS]
    sw = series(S2_DAYS, grass(S2_DAYS, [CUT]), clear=clear)
    alone, cleaned = s2.detect(sw)
    assert not [e for e in alone if e.kind == "mowing"]
    valid = sw.days[cleaned.kept]
    season = (S2_DAYS[0], S2_DAYS[-1])
    assert lights.evaluate(MOWN, alone, valid, 2024, season).code == "long_gap"
    dsc = orbit("DSC-37", day(4, 2), mown_grass(CUT), lambda d: -9.5, grass_vh(CUT))
    fused = fuse.fuse(alone, s1.detect(s1_orbits(dsc)), valid.tolist())
    [mow] = [e for e in fused if e.kind == "mowing"]
    assert mow.sensors == "S1" and mow.signal == "VVc" and abs(mow.main - CUT) <= 4
    # One orbit's marginal rise (0.30 -> 0.40) is not enough for the rule: undecided.
    observed = np.union1d(valid, s1_orbits(dsc)[0].days)
    light = lights.evaluate(MOWN, fused, observed, 2024, season)
    assert (light.light, light.code) == ("yellow", "low_confidence")
    # A second orbit seeing the same rise: one event, surer, and the rule is met.
    asc = orbit("ASC-88", day(4, 5), mown_grass(CUT), lambda d: -10.5, grass_vh(CUT))
    orbits = s1_orbits(dsc + asc)
    fused = fuse.fuse(alone, s1.detect(orbits), valid.tolist())
    [both] = [e for e in fused if e.kind == "mowing"]
    assert both.confidence > mow.confidence and both.start < CUT <= both.end
    observed = np.union1d(valid, np.concatenate([o.days for o in orbits]))
    assert lights.evaluate(MOWN, fused, observed, 2024, season).light == "green"


def test_an_orbit_change_is_no_event() -> None:
    # An unchanging meadow seen by one orbit's 12-day pairs until mid-June, then by
    # another's 6-day pairs: other incidence, other levels (coherence is higher over the
    # shorter interval, backscatter a few dB apart).
    switch = day(6, 15)
    dsc = [o for o in orbit("DSC-37", day(4, 2), lambda d: 0.2, lambda d: -12.0,
                            lambda d: -19.0, 12) if o.date.toordinal() < switch]  # fmt: skip
    asc = [o for o in orbit("ASC-88", day(4, 3), lambda d: 0.31, lambda d: -9.0,
                            lambda d: -15.5) if o.date.toordinal() >= switch]  # fmt: skip
    assert s1.detect(s1_orbits(dsc + asc)) == []
    # Read as one series, the change of geometry would be a "cut" on the switch.
    mixed = [S1Obs(o.date, "ALL", o.vv_bs, o.vh_bs, o.vv_coh, o.vh_coh) for o in dsc + asc]
    [false] = s1.detect(s1_orbits(mixed))
    assert false.start <= switch <= false.end + 12


def stubble_then(tilled: int, vv_after: Callable[[int], float]) -> list[S1Obs]:
    def coh(d: int) -> float:
        return 0.2 if d - 6 < tilled <= d else 0.6

    return orbit("ASC-88", day(7, 1), coh, lambda d: vv_after(d) if d >= tilled else -12.0,
                 lambda d: -21.0)  # fmt: skip


def test_ploughing_decorrelates_and_roughens_rain_only_decorrelates() -> None:
    tilled = day(8, 20)
    ploughed = s1.detect(s1_orbits(stubble_then(tilled, lambda d: -10.0)))
    assert [e.kind for e in ploughed] == ["ploughing"]
    assert ploughed[0].start < tilled <= ploughed[0].end
    # Rain between two images: the pair decorrelates and VV rises, then the soil dries.
    wet = s1.detect(s1_orbits(stubble_then(tilled, lambda d: -10.0 if d - tilled < 6 else -12.0)))
    assert wet == []


def test_a_harvest_leaves_stubble_coherent_and_vh_low() -> None:
    harvest = day(7, 25)

    def coh(d: int) -> float:
        if d - 6 < harvest <= d:
            return 0.25
        return 0.6 if d > harvest else 0.18  # a dense cereal decorrelates

    obs = orbit(
        "ASC-88", day(5, 1), coh, lambda d: -11.0, lambda d: -22.0 if d > harvest else -18.0
    )
    [e] = s1.detect(s1_orbits(obs))
    assert e.kind == "harvest" and e.start < harvest <= e.end


def test_s1_rows_become_observations_per_day_and_orbit() -> None:
    when = dt.datetime(2024, 6, 3, 5, 48, tzinfo=dt.UTC)
    rows = [
        SimpleNamespace(date=when, kind="bs", orbit_direction="descending", relative_orbit=37,
                        vv=0.1, vh=0.02, count=40),
        SimpleNamespace(date=when.date(), kind="c6", orbit_direction="descending",
                        relative_orbit=37, vv=0.41, vh=0.3, count=10),
        SimpleNamespace(date=when.date(), kind="bs", orbit_direction="ascending",
                        relative_orbit=88, vv=0.2, vh=0.03, count=40),
        SimpleNamespace(date=when.date(), kind="c6", orbit_direction="ascending",
                        relative_orbit=88, vv=0.5, vh=0.4, count=0),  # no pixels: nothing
    ]  # fmt: skip
    assert observations(rows) == [
        S1Obs(dt.date(2024, 6, 3), "ASC-88", 0.2, 0.03),
        S1Obs(dt.date(2024, 6, 3), "DSC-37", 0.1, 0.02, 0.41, 0.3, 10),
    ]
    assert orbit_key("ASC", "88") == "ASC-88" and orbit_key("DESCENDING", 37) == "DSC-37"
    [o] = [o for o in s1_orbits(observations(rows)) if o.orbit == "DSC-37"]
    assert np.allclose([o.vv[0], o.vh[0], o.coh[0]], [-10.0, 10 * np.log10(0.02), 0.41])


def with_pixels(obs: list[S1Obs], pixels: int) -> list[S1Obs]:
    return [replace(o, coh_pixels=pixels) for o in obs]


def test_a_wet_spell_drying_is_no_cut() -> None:
    # An unmown meadow (coherence 0.31 dry); rain on 4 and 10 July lowers every pair that
    # holds one of those dates by a third (../shared/reference/sentinel1.md: rain lowers
    # coherence); the pair after the spell is back at the dry level: no surface changed.
    wet = {day(7, 4), day(7, 10)}

    def coh(d: int) -> float:
        return 0.31 * (0.65 if d in wet or d - 6 in wet else 1.0)

    obs = with_pixels(orbit("ASC-88", day(4, 5), coh, lambda d: -9.8, lambda d: -16.4), 400)
    assert s1.detect(s1_orbits(obs)) == []


def expected_confidence(rises: list[tuple[float, float, float]], pixels: int) -> float:
    """1 - prod(p + (1 - p) / 2) over the orbits, p the normal tail of the rise against the
    noise of two parcel means of `pixels` looks, (1 - g^2) / sqrt(2 N) each."""
    false = 1.0
    for before, after, _ in rises:
        sd = math.hypot(*((1 - g * g) / math.sqrt(2 * pixels) for g in (before, after)))
        p = max(1 - NormalDist(0, sd).cdf(after - before), 1e-3)
        false *= p + (1 - p) * 0.5
    return 1 - false


def test_s1_confidence_is_the_noise_of_the_parcel_mean_and_the_orbits_agreeing() -> None:
    clear = [100.0 if d < day(5, 20) or d > day(7, 10) else 5.0 for d in S2_DAYS]
    sw = series(S2_DAYS, grass(S2_DAYS, [CUT]), clear=clear)
    alone, cleaned = s2.detect(sw)
    valid = sw.days[cleaned.kept]
    season = (S2_DAYS[0], S2_DAYS[-1])
    dsc = orbit("DSC-37", day(4, 2), mown_grass(CUT), lambda d: -9.5, grass_vh(CUT))
    asc = orbit("ASC-88", day(4, 5), mown_grass(CUT), lambda d: -10.5, grass_vh(CUT))
    found = {}
    for pixels in (2, 400):
        for name, obs in (("one", dsc), ("two", dsc + asc)):
            orbits = s1_orbits(with_pixels(obs, pixels))
            [mow] = [e for e in fuse.fuse(alone, s1.detect(orbits), valid.tolist())
                     if e.kind == "mowing"]  # fmt: skip
            observed = np.union1d(valid, np.concatenate([o.days for o in orbits]))
            found[name, pixels] = (mow, lights.evaluate(MOWN, [mow], observed, 2024, season))
    rise = (0.30, 0.40, 0.0)  # the canopy before, the short sward after
    for (name, pixels), (mow, _light) in found.items():
        want = expected_confidence([rise] * (1 if name == "one" else 2), pixels)
        assert abs(mow.confidence - want) <= 1e-3, (name, pixels)
    # One orbit never turns a light green on its own, however large the parcel.
    assert found["one", 400][1].code == "low_confidence" and found["one", 400][0].confidence < 0.5
    # Two orbits agreeing: green on a parcel of 400 pixels, not on one of 2 (the rise is
    # within the noise of its means).
    assert found["two", 400][1].light == "green"
    assert found["two", 2][1].code == "low_confidence"
    assert found["two", 2][0].confidence < found["two", 400][0].confidence
