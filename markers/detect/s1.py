"""Sentinel-1 events of a parcel, per orbit (docs/markers.md has the reasons and anchors).

Coherence is the share of the radar signal that stays the same between the two images of
a pair: a tall, moving canopy decorrelates (grassland 0.28-0.33, dense crops 0.15-0.3), a
short sward or stubble much less, bare dry soil least (0.5-0.8); any change of the surface
between the two images (a cut, a harvest, tillage, rain) lowers the pair's coherence.

- cut (mowing or harvest): the first pair after the cut rises by >= `COH_RISE` above the
  pairs before it, from a canopy's level (<= `CANOPY_COH`): Tamm et al. 2016 (VV 6-day
  coherence after mowing, Estonia), De Vroey et al. 2021/2022 (S1 coherence with S2 NDVI,
  Belgium), Sen4CAP L4B; the JRC's own samples give 0.28-0.33 -> 0.35-0.42 for grass.
  A harvest leaves stubble or soil: coherence >= `BARE_COH` and VH down by >= `VH_LOSS` dB
  (volume scattering of the canopy gone); a mowing leaves a short sward below that.
  The pair spanning the cut decorrelates: the cut lies between the first image of the
  pair before the rise and the first image of the risen pair (a 6-day bracket).
- ploughing: stable bare soil or stubble (>= `BARE_COH`) decorrelates at once (<=
  `TILLED_COH`: tillage resets coherence to ~0.2) while VV rises by >= `VV_ROUGHER` dB and
  stays up at the next acquisition (a rougher surface; rain also drops coherence and
  raises VV, but the soil dries within days: Sen4CAP L4C reads the same pair of changes).
  VH stays low (<= `BARE_VH` dB): there is no canopy to lose.

Orbits are never mixed: each relative orbit's series is read on its own, so a change of
incidence angle from one orbit to the next is no event.

Confidence is physical, not calibrated on any truth (`confidence`): per orbit, the chance
that the estimator's noise alone made the change (a parcel mean of N independent looks has
a standard deviation of (1 - g^2) / sqrt(2N): Touzi et al. 1999, the Cramer-Rao bound of
the coherence estimate; one look per 10 m pixel is the floor), and the chance that a real
change of the surface was not the farming event (rain, dew, wind, soil moisture move
coherence as much as a cut does: one look cannot tell, `OTHER_CAUSE`); an event is false
only if every orbit that saw it is, and orbits look on other days at other hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from markers.detect.series import S1Orbit

COH_RISE = 0.08  # above the coherence noise of a parcel mean (~0.03) and under the
# smallest published post-mowing rise (0.07-0.1 grass, JRC samples; Tamm 2016)
CANOPY_COH = 0.35  # a canopy's 6-day coherence lies below (grass 0.28-0.33, crops 0.15-0.3)
BARE_COH = 0.45  # stubble or dry bare soil lies above (0.5-0.8)
TILLED_COH = 0.3  # tillage resets a pair to ~0.2
VH_LOSS = 2.0  # dB: a canopy's volume scattering gone (a cut sward loses 1-2 dB)
VV_ROUGHER = 1.0  # dB: tillage roughens the surface; field-to-field spread is ~1.2 dB
BARE_VH = -17.0  # dB: bare or ploughed soil VH -24..-17
PAIR_DAYS = 12  # the longest pair read as a pair (12 days: one satellite)
# A canopy's level before a cut: the highest pair of the 24 days before the pair spanning
# it. Rain only lowers coherence (a wet date decorrelates both pairs it belongs to), so
# a wet spell's low pairs are not the canopy's level, and a rise back to the level of the
# dry pairs before it is weather, not a cut. 24 days: four 6-day pairs, shorter than the
# 4-6 weeks between two cuts, within which a cut sward's coherence stays up.
LEVEL_DAYS = 24
# One look per pixel is the floor (IW SLC resolution cells are about 5 m x 20 m: one per
# 10 m pixel, four per 20 m pixel); a mean whose pixels are unknown counts as a 1 ha
# parcel at 10 m (100 looks).
LOOKS_PER_PIXEL = 1.0
UNKNOWN_LOOKS = 100.0
# The chance that a real change of one orbit's coherence had another cause than the
# event (rain, dew, wind, soil moisture change coherence as strongly as a cut): even
# odds, one look says nothing about the cause; orbits agreeing on other days do.
OTHER_CAUSE = 0.5
# The normal tail is no model of the estimate beyond about three sigma (its distribution is
# skewed, heavier-tailed at few looks): a change is never surer than this of not being noise.
TAIL_FLOOR = 1e-3


@dataclass(frozen=True)
class S1Event:
    kind: str  # mowing, harvest, ploughing
    orbit: str
    start: int  # ordinal: the bracket
    end: int
    before: float  # coherence before / after (VV dB for ploughing's second signal)
    after: float
    score: float  # raw 0..1
    observations: int
    p_false: float = 1.0  # the chance every orbit that saw it was noise or another cause
    orbits: int = 1

    @property
    def confidence(self) -> float:
        """Rounded down: one orbit stays below even odds (OTHER_CAUSE, TAIL_FLOOR)."""
        return math.floor((1.0 - self.p_false) * 1000) / 1000

    @property
    def main(self) -> int:
        return (self.start + self.end + 1) // 2


def coherence_sigma(coh: float, pixels: float) -> float:
    """Standard deviation of a parcel's mean coherence: (1 - g^2) / sqrt(2 N), N the
    independent looks (the Cramer-Rao bound of the estimate, Touzi et al. 1999)."""
    looks = pixels * LOOKS_PER_PIXEL if pixels == pixels and pixels > 0 else UNKNOWN_LOOKS
    return (1.0 - min(coh, 1.0) ** 2) / math.sqrt(2.0 * max(looks, 1.0))


def p_false(change: float, sigma: float) -> float:
    """One orbit's chance the change is not the event: noise alone made a change this large
    (one-sided normal tail), or else the real change had another cause."""
    noise = 0.5 * math.erfc(change / (sigma * math.sqrt(2.0))) if sigma > 0 else 0.0
    noise = max(noise, TAIL_FLOOR)
    return noise + (1.0 - noise) * OTHER_CAUSE


def _score(excess: float, gap_days: int, confirmed: bool) -> float:
    """As s2.raw_score: the change in units of its threshold, the bracket's width, and
    whether the next pair confirms the new state."""
    strength = 1 - math.exp(-(max(excess, 1.0) - 0.5) * 1.2)
    tightness = 1.0 if gap_days <= 10 else max(0.3, 1 - (gap_days - 10) / 40)
    return round(strength * tightness * (1.0 if confirmed else 0.6), 4)


def detect_orbit(o: S1Orbit) -> list[S1Event]:
    """The events of one orbit's series."""
    ok = np.isfinite(o.coh)
    days, coh = o.days[ok].tolist(), o.coh[ok].tolist()
    vv, vh = o.vv[ok].tolist(), o.vh[ok].tolist()
    pixels = (o.pixels[ok] if o.pixels is not None else np.full(len(days), np.nan)).tolist()
    n = len(days)
    events: list[S1Event] = []
    for k in range(1, n):
        span = days[k] - days[k - 1]
        if span > PAIR_DAYS:
            continue  # not consecutive pairs: no bracket to give
        cut = _cut(o.orbit, days, coh, vh, pixels, k)
        if cut is not None:
            events.append(cut)
            continue
        tilled = _tillage(o.orbit, days, coh, vv, vh, pixels, k)
        if tilled is not None:
            events.append(tilled)
    return events


def _cut(
    orbit: str, days: list[int], coh: list[float], vh: list[float], pixels: list[float], k: int
) -> S1Event | None:
    """Pair k is the first after a cut: coherence risen above the canopy's before."""
    first = k - 1
    while first > 0 and days[k - 1] - days[first - 1] < LEVEL_DAYS:
        first -= 1
    before = coh[first:k]  # the pairs before: a canopy's level (the dry ones: the highest)
    at = first + int(np.argmax(before))
    level = coh[at]
    rise = coh[k] - level
    if level > CANOPY_COH or rise < COH_RISE:
        return None
    later = [c for d, c in zip(days[k + 1 :], coh[k + 1 :], strict=True)
             if d - days[k] <= PAIR_DAYS]  # fmt: skip
    confirmed = bool(later) and later[0] >= level + COH_RISE / 2
    vh_before = [v for v in vh[max(0, k - 2) : k] if v == v]
    vh_loss = (max(vh_before) - vh[k]) if vh_before and vh[k] == vh[k] else math.nan
    harvest = coh[k] >= BARE_COH and vh_loss >= VH_LOSS
    start = days[k - 1] - (days[k] - days[k - 1])  # the first image of the pair before
    score = _score(rise / COH_RISE, days[k - 1] - start, confirmed)
    kind = "harvest" if harvest else "mowing"
    sigma = math.hypot(coherence_sigma(level, pixels[at]), coherence_sigma(coh[k], pixels[k]))
    return S1Event(kind, orbit, start, days[k - 1], level, coh[k], score, len(days),
                   p_false(rise, sigma))  # fmt: skip


def _tillage(
    orbit: str, days: list[int], coh: list[float], vv: list[float], vh: list[float],
    pixels: list[float], k: int,
) -> S1Event | None:  # fmt: skip
    """Pair k spans tillage: stable bare soil decorrelated, VV up and staying up."""
    if coh[k - 1] < BARE_COH or coh[k] > TILLED_COH:
        return None
    if not (vh[k] <= BARE_VH and vv[k] - vv[k - 1] >= VV_ROUGHER):  # NaN: False
        return None
    nxt = [(d, v) for d, v in zip(days[k + 1 :], vv[k + 1 :], strict=True)
           if d - days[k] <= PAIR_DAYS and v == v]  # fmt: skip
    if nxt and nxt[0][1] - vv[k - 1] < VV_ROUGHER:
        return None  # back at once: wet soil drying (rain), not a rougher surface
    start = days[k - 1]  # the pair k spans the tillage
    drop = coh[k - 1] - coh[k]
    sigma = math.hypot(coherence_sigma(coh[k - 1], pixels[k - 1]),
                       coherence_sigma(coh[k], pixels[k]))  # fmt: skip
    return S1Event("ploughing", orbit, start, days[k], coh[k - 1], coh[k],
                   _score(drop / (BARE_COH - TILLED_COH), days[k] - start, bool(nxt)),
                   len(days), p_false(drop, sigma))  # fmt: skip


def detect(orbits: list[S1Orbit]) -> list[S1Event]:
    """Every orbit's events, then those of one kind that several orbits saw merged: the
    narrowest common bracket, the evidence combined (independent looks: the event is false
    only if each orbit's look is)."""
    found = sorted((e for o in orbits for e in detect_orbit(o)), key=lambda e: (e.kind, e.start))
    merged: list[S1Event] = []
    for e in found:
        last = merged[-1] if merged else None
        if last is not None and last.kind == e.kind and e.start <= last.end:
            start, end = max(last.start, e.start), min(last.end, e.end)
            if e.orbit in last.orbit.split("+"):  # one orbit twice: one look, the surer
                merged[-1] = replace(last, start=start, end=end,
                                     p_false=min(last.p_false, e.p_false))  # fmt: skip
                continue
            merged[-1] = S1Event(e.kind, f"{last.orbit}+{e.orbit}", start, end, last.before,
                                 last.after, 1 - (1 - last.score) * (1 - e.score),
                                 last.observations + e.observations, last.p_false * e.p_false,
                                 last.orbits + e.orbits)  # fmt: skip
        else:
            merged.append(e)
    return sorted(merged, key=lambda e: (e.main, e.kind))
