"""Sentinel-2 events from a parcel's clear acquisitions (docs/markers.md has the reasons).

1. Valid observations: the parcel's SCL pixels at least `min_clear` % clear, and no haze
   the SCL missed (the haze-optimised transform, HOT = B02 - 0.5 B04 - 0.08 > 0: Zhang et
   al. 2002; or HOT rising by `HOT_RISE` above both neighbouring valid observations).
2. Artefacts out: a drop that recovers 70 % or more within `RECOVERY_MIN_DAYS` is cloud or
   shadow the SCL missed, not farming: a cut or harvested canopy takes weeks to regrow
   (NDVI back to its level after 3-5 weeks: Reinermann et al. 2022; Kolecka et al. 2018).
   The same rule on SWIR removes undetected shadow (darkening that rebounds at once). An
   NDVI drop that brightens SWIR-1 with HOT unmoved is the surface, not the sky: it stays.
3. Events between consecutive valid observations (the bracket: date_start, date_end):
   - mowing: NDVI falls by >= `DROP` (0.1: the smallest drop published S2 mowing
     detectors accept, Kolecka 2018, Griffiths 2020, Sen4CAP L4B) from a canopy
     (>= `CANOPY` 0.5) to a cut sward (still >= `BARE` 0.3), then regrows or holds
     (the next valid observation does not fall further: a senescing crop keeps falling);
   - harvest: NDVI falls by >= `DROP` from a crop (>= 0.35, dry cereal included) to bare
     soil or stubble (< `BARE`) and the canopy does not come back within 20 days (a
     resown sward or a catch crop needs three weeks or more);
   - ploughing of a sward: the harvest's drop from a green canopy (>= `GREEN_SWARD` 0.6,
     not drying down: no fall of 0.05 over the two observations before) on a parcel that
     was never bare before in the season (no crop cycle: a grassland);
   - ploughing: on low cover (NDVI < `CANOPY` before, < `BARE` after), SWIR-1 darkens by
     >= `SWIR_DARKENING` (15 %: residue buried and moist soil turned up; Daughtry et al.
     2005 for residue brightness, the tillage marker of Sen4CAP L4C) and stays dark;
   - emergence: NDVI rises from bare soil (< `BARE`) through half its season amplitude to a
     canopy (>= `CANOPY`): the date of that half-amplitude crossing, interpolated (the
     start-of-season of TIMESAT at 50 % amplitude, Jönsson and Eklundh 2004);
   - bare_soil: two or more valid observations in a row with NDVI < `BARE` (the usual
     bare-soil NDVI limit of 0.25-0.35: Diek et al. 2017, Demattê et al. 2018) and a
     positive bare soil index; the period from its first to its last observation.
4. Each event's raw score (how far past its threshold the change is, whether a later
   observation confirms it, how wide the bracket is) is turned into a calibrated
   confidence (calibration.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from markers.detect import calibration
from markers.detect.series import S2Series

MIN_CLEAR = 90.0  # percent of the parcel's SCL pixels clear
DROP = 0.1  # NDVI
CANOPY = 0.5
CROP = 0.35  # a crop at harvest: dry cereals and haulm-killed potatoes too
GREEN_SWARD = 0.6  # a canopy still green (not a crop drying down to its harvest)
BARE = 0.3
SWIR_DARKENING = 0.15  # relative
SWIR_BRIGHTENING = 0.10  # relative: a cut or harvest, well above a parcel mean's noise (~3 %)
HOT_RISE = 0.015  # reflectance: haze, not noise (a parcel mean's HOT varies by ~0.002)
RECOVERY_MIN_DAYS = 12  # a true cut or harvest does not recover 70 % in less
RECOVERY_SHARE = 0.7
HARVEST_NO_REGROWTH_DAYS = 20  # a resown sward or a catch crop takes three weeks and more
MAX_BRACKET_DAYS = 40  # a change across a longer gap is dated too loosely to report


@dataclass(frozen=True)
class Event:
    kind: str  # mowing, harvest, ploughing, bare_soil, emergence
    start: int  # ordinal day: the last valid observation before (bare_soil: first day)
    main: int  # best estimate
    end: int  # the first valid observation after (bare_soil: last day)
    before: float  # signal before
    after: float  # signal after
    signal: str  # NDVI or B11
    observations: int  # valid observations used
    score: float  # raw 0..1
    confidence: float  # calibrated 0..1
    sensors: str = "S2"

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Cleaned:
    """The series' valid observations after the artefact test (indices into the series)."""

    valid: np.ndarray  # bool per acquisition: clear and not hazy
    kept: np.ndarray  # indices of valid, non-artefact acquisitions
    artefacts: np.ndarray  # indices removed as undetected cloud/shadow


def clean(s: S2Series, min_clear: float = MIN_CLEAR) -> Cleaned:
    ndvi, swir = s.ndvi, s.swir
    hot = s.blue - 0.5 * s.red - 0.08
    finite = np.isfinite(ndvi) & np.isfinite(swir) & np.isfinite(s.blue)
    with np.errstate(invalid="ignore"):
        clear = s.clear >= max(min_clear, -0.5)  # an unknown share (NaN) is not clear
    valid = finite & clear & ~(hot > 0)
    # HOT rising above both clear neighbours: haze over a surface that moves along the
    # clear-sky line (HOT is built to ignore surface change: harvest, bare soil, canopy).
    # (The scalar steps below read Python lists: the same float64 arithmetic as numpy's,
    # without its per-element cost; extract_markers runs them for every parcel.)
    idx = np.flatnonzero(valid)
    h = hot[idx].tolist()
    hazy = [
        i for pos, i in enumerate(idx.tolist())
        if (near := h[max(0, pos - 1) : pos] + h[pos + 1 : pos + 2])
        and h[pos] - max(near) > HOT_RISE
    ]  # fmt: skip
    valid[hazy] = False
    kept = np.flatnonzero(valid).tolist()
    days, nd, sw = s.days.tolist(), ndvi.tolist(), swir.tolist()
    haze = hot.tolist()
    artefacts: list[int] = []
    # One artefact out can reveal the next (two hazy dates in a row): after a removal the
    # scan goes on two places back, the first whose test reads the changed neighbours
    # (a test at `pos` reads kept[pos - 1 .. pos + 2]); those before stand as they were.
    pos = 1
    while pos < len(kept) - 1:
        ndvi_dip = _dip(days, kept, pos, nd, absolute=True) and not _cut_like(kept, pos, sw, haze)
        if ndvi_dip or _dip(days, kept, pos, sw, False):
            artefacts.append(kept.pop(pos))
            pos = max(1, pos - 2)
        else:
            pos += 1
    return Cleaned(valid, np.array(kept, dtype=int), np.array(sorted(artefacts), dtype=int))


def _cut_like(kept: list[int], pos: int, swir: list[float], hot: list[float]) -> bool:
    """Does the NDVI drop at kept[pos] look like the surface, not the sky? A cut or a
    harvest dries the canopy and bares soil: SWIR-1 brightens (by `SWIR_BRIGHTENING`) with
    the haze transform unmoved; undetected shadow darkens every band, SWIR-1 included,
    and haze or thin cloud lifts HOT (Zhang et al. 2002). Such a drop stands even when the
    sward then regrows fast (the base before it may itself be a little hazy)."""
    i, p = kept[pos], kept[pos - 1]
    return swir[i] >= (1 + SWIR_BRIGHTENING) * swir[p] and hot[i] - hot[p] <= HOT_RISE


def _dip(days: list[int], kept: list[int], pos: int, x: list[float], absolute: bool) -> bool:
    """Is kept[pos] (perhaps with the next one) a dip that recovers too fast for farming?"""
    i, p = kept[pos], kept[pos - 1]
    base = x[p]
    drop = base - x[i]
    limit = DROP if absolute else SWIR_DARKENING * base
    if not drop >= limit:
        return False
    # The recovery: any of the next two kept observations within RECOVERY_MIN_DAYS of i.
    for n in kept[pos + 1 : pos + 3]:
        if days[n] - days[i] >= RECOVERY_MIN_DAYS:
            break
        if x[n] - x[i] >= RECOVERY_SHARE * drop:
            return True
    return False


def detect(s: S2Series, min_clear: float = MIN_CLEAR) -> tuple[list[Event], Cleaned]:
    """The S2 events of one parcel-season, in time order, and what was kept to find them."""
    c = clean(s, min_clear)
    idx = c.kept
    if len(idx) < 2:
        return [], c
    days = s.days[idx].tolist()
    ndvi = s.ndvi[idx].tolist()
    swir = s.swir[idx].tolist()
    n = len(idx)
    events: list[Event] = []
    for k in range(n - 1):
        if days[k + 1] - days[k] <= MAX_BRACKET_DAYS:
            event = _change(days, ndvi, swir, k)
            if event is not None:
                events.append(event)
    events.extend(_emergence(s.days[idx], s.ndvi[idx], n))
    events.extend(_bare_soil(s.days[idx], s.ndvi[idx], s.bsi[idx]))
    return sorted(events, key=lambda e: (e.main, e.kind)), c


def _next(days: list[int], x: list[float], k: int, within: int) -> list[float]:
    """x at the valid observations after k + 1 up to `within` days after it."""
    limit = days[k + 1] + within
    return [v for d, v in zip(days[k + 2 :], x[k + 2 :], strict=True) if d <= limit]


def _change(days: list[int], ndvi: list[float], swir: list[float], k: int) -> Event | None:
    """The event between valid observations k and k + 1, if any."""
    n = len(days)
    before, after = ndvi[k], ndvi[k + 1]
    drop = before - after
    if drop >= DROP and before >= CANOPY and after >= BARE:
        # Mowing: the next valid observation (within 30 days) does not fall further.
        # (the better of the next two: one hazy date must not undo a cut)
        soon = _next(days, ndvi, k, 30)[:2]
        if soon and max(soon) < after - 0.03:
            return None
        return _event("mowing", days, k, before, after, "NDVI", drop, bool(soon), n)
    if drop >= DROP and before >= CROP and after < BARE:
        soon = _next(days, ndvi, k, HARVEST_NO_REGROWTH_DAYS)
        if soon and max(soon) >= CANOPY:
            return None  # came back: a dip, not a harvest
        # A green sward (no crop cycle this season: never bare before) turned to bare
        # soil at once was ploughed, not harvested: a crop dries down or emerged.
        drying = k > 0 and max(ndvi[max(0, k - 2) : k]) - before >= 0.05
        sward = before >= GREEN_SWARD and not drying and min(ndvi[:k], default=1.0) >= BARE
        kind = "ploughing" if sward else "harvest"
        return _event(kind, days, k, before, after, "NDVI", drop, bool(soon), n)
    if before < CANOPY and after < BARE and swir[k] > 0:
        dark = (swir[k] - swir[k + 1]) / swir[k]
        if dark < SWIR_DARKENING:
            return None
        later = _next(days, swir, k, 30)
        if later and later[0] - swir[k + 1] >= RECOVERY_SHARE * (swir[k] - swir[k + 1]):
            return None
        return _event("ploughing", days, k, swir[k], swir[k + 1], "B11", dark, bool(later), n)
    return None


def _event(
    kind: str,
    days: list[int],
    k: int,
    before: float,
    after: float,
    signal: str,
    size: float,
    confirmed: bool,
    n: int,
) -> Event:
    start, end = int(days[k]), int(days[k + 1])
    threshold = SWIR_DARKENING if signal == "B11" else DROP
    score = raw_score(size / threshold, end - start, confirmed)
    return Event(
        kind=kind,
        start=start,
        main=(start + end + 1) // 2,  # the change happened after `start`: the middle, up
        end=end,
        before=round(before, 4),
        after=round(after, 4),
        signal=signal,
        observations=n,
        score=score,
        confidence=calibration.confidence(kind, score),
    )


def raw_score(excess: float, gap_days: int, confirmed: bool) -> float:
    """0..1 from the change in units of its threshold (1 = just at it), the bracket's
    width and whether a later observation confirms the new state."""
    strength = 1 - math.exp(-(max(excess, 1.0) - 0.5) * 1.2)  # 1x: 0.45, 2x: 0.83, 3x: 0.95
    tightness = 1.0 if gap_days <= 10 else max(0.3, 1 - (gap_days - 10) / 40)
    confirmation = 1.0 if confirmed else 0.6
    return float(round(np.float64(strength * tightness * confirmation), 4))


def _emergence(days: np.ndarray, ndvi: np.ndarray, n: int) -> list[Event]:
    """The half-amplitude crossing of a green-up from bare soil to a canopy."""
    out: list[Event] = []
    low_cover = (ndvi < BARE).tolist()
    k = 0
    while k < len(ndvi):
        if not low_cover[k]:
            k += 1
            continue
        # A run of bare observations ends at j; the green-up must reach a canopy after.
        j = k
        while j + 1 < len(ndvi) and low_cover[j + 1]:
            j += 1
        later = np.flatnonzero(ndvi[j + 1 :] >= CANOPY)
        if not len(later):
            break
        top_at = j + 1 + int(later[0])
        low = float(ndvi[k : j + 1].mean())
        top = float(ndvi[top_at:].max())
        half = (low + top) / 2
        # The first crossing of `half` after the bare run.
        m = j + int(np.argmax(ndvi[j:] >= half))
        a, b = m - 1, m
        gap = int(days[b] - days[a])
        if gap <= MAX_BRACKET_DAYS:
            frac = (half - ndvi[a]) / (ndvi[b] - ndvi[a]) if ndvi[b] != ndvi[a] else 0.5
            main = int(round(days[a] + frac * gap))
            score = raw_score((top - low) / (2 * DROP), gap, confirmed=top_at + 1 < len(ndvi))
            out.append(
                Event(
                    "emergence",
                    int(days[a]),
                    main,
                    int(days[b]),
                    round(float(ndvi[a]), 4),
                    round(float(ndvi[b]), 4),
                    "NDVI",
                    n,
                    score,
                    calibration.confidence("emergence", score),
                )  # fmt: skip
            )
        k = top_at + 1
    return out


def _bare_soil(days: np.ndarray, ndvi: np.ndarray, bsi: np.ndarray) -> list[Event]:
    out: list[Event] = []
    bare = ((ndvi < BARE) & (bsi > 0)).tolist()
    day = days.tolist()
    k = 0
    while k < len(bare):
        if not bare[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(bare) and bare[j + 1] and day[j + 1] - day[j] <= MAX_BRACKET_DAYS:
            j += 1
        if j > k:
            runs = j - k + 1
            score = raw_score(1 + runs / 3, 0, True)
            out.append(
                Event(
                    "bare_soil",
                    int(days[k]),
                    int(days[k]),
                    int(days[j]),
                    round(float(ndvi[k]), 4),
                    round(float(ndvi[j]), 4),
                    "NDVI",
                    runs,
                    score,
                    calibration.confidence("bare_soil", score),
                )  # fmt: skip
            )
        k = j + 1
    return out
