"""Sentinel-1 over the demo fields: what each field backscatters and how coherent it stays,
on every pass of two relative orbits, from the same true events as its Sentinel-2 signal
(demo/generator/events.py, through fields.ground_state).

Physics (../shared/reference/sentinel1.md and the literature it cites), per field and day:
- Backscatter (dB, then linear): VH rises with the canopy (volume scattering: maize from
  about -22 dB at emergence to -13 at full cover), grassland VH -20..-16 and a 1-2 dB drop
  after a cut that recovers as it regrows; wheat VV falls to about -19 dB under a full
  canopy (stems attenuate) and comes back after senescence and harvest; ploughing makes
  the soil rough: VV +4 dB, VH +3 dB, fading over a month; a rain day wets soil and canopy
  (+1 dB VV); the ascending orbit sees the fields at another incidence angle (+0.8 dB);
  each field keeps its own offset (soil, about +-0.6 dB). Speckle: the intensity of a pixel
  is Gamma(shape=L, scale=mean/L) with L = ENL 4.4.
- 6-day coherence (VV; VH a little lower): bare or stubble fields stay coherent (0.55-0.65
  dry), dense canopies decorrelate (0.15-0.2), grassland 0.28-0.33 before a cut and about
  0.42 after it, falling back as the sward regrows; any event between the two dates
  (a cut, a harvest, ploughing) resets it to about 0.2; rain on either date lowers it.
  Per pixel the estimate is biased up and noisy as a 50-look estimator is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from demo.generator import fields
from demo.generator.events import GRASS, WHEAT

ENL = 4.4
COH_LOOKS = 50
RAIN_PROBABILITY = 0.25  # a rainy day, NL summer
ASCENDING_OFFSET_DB = 0.8


@dataclass(frozen=True)
class Pass:
    """One acquisition of the demo area."""

    platform: str  # S1A or S1B (each repeats its track every 12 days, 6 days apart)
    relative_orbit: int
    direction: str  # ASCENDING / DESCENDING
    start: datetime

    @property
    def key(self) -> str:
        return f"{self.start:%Y%m%dT%H%M%S}"

    @property
    def absolute_orbit(self) -> int:
        """An absolute orbit number consistent with the relative one (ESA's numbering:
        relative = (absolute - offset) % 175 + 1; 175 orbits per 12-day cycle)."""
        offset = {"S1A": 73, "S1B": 27}[self.platform]
        cycles = 300 + (self.start.date() - date(2024, 1, 1)).days // 12
        return offset + self.relative_orbit - 1 + 175 * cycles


# The two tracks over the demo area (real tracks over the Netherlands): descending R037 in
# the morning, ascending R088 in the evening; first pass days after the archive's start.
TRACKS = ((37, "DESCENDING", 1, (5, 50, 41)), (88, "ASCENDING", 4, (17, 25, 13)))


def passes(start: date, end: date) -> list[Pass]:
    """Every pass of both tracks in the window, every 6 days per track, sorted."""
    out = []
    for orbit, direction, first, (h, m, s) in TRACKS:
        day, k = start + timedelta(days=first), 0
        while day <= end:
            when = datetime(day.year, day.month, day.day, h, m, s, tzinfo=UTC)
            out.append(Pass("S1A" if k % 2 == 0 else "S1B", orbit, direction, when))
            day, k = day + timedelta(days=6), k + 1
    return sorted(out, key=lambda p: p.start)


def rain_days(start: date, end: date, rng: np.random.Generator) -> set[date]:
    days = (end - start).days + 1
    wet = rng.random(days) < RAIN_PROBABILITY
    return {start + timedelta(days=i) for i in np.flatnonzero(wet).tolist()}


def _doy(when: datetime) -> float:
    return float(when.timetuple().tm_yday) + when.hour / 24.0


def _since_plough(layout: fields.FieldLayout, t: float) -> np.ndarray:
    since = np.append(t - layout.events.plough, np.nan)
    return np.where(np.isfinite(since) & (since >= 0), since, np.inf)


def backscatter_db(
    layout: fields.FieldLayout, p: Pass, rainy: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(VV, VH) in dB per cell (the verges last) on this pass."""
    t = _doy(p.start)
    g, straw, _tilled = fields.ground_state(layout, t)
    veg = np.clip((g - 0.15) / 0.75, 0.0, 1.0)
    cover = np.append(layout.cover, -1)  # -1: verges
    vv = -12.5 + 3.0 * veg + 1.0 * straw
    vh = -22.0 + 9.0 * veg + 1.5 * straw
    grass = cover == GRASS
    vh[grass] = -20.0 + 4.0 * veg[grass]
    wheat = cover == WHEAT
    vv[wheat] = -12.0 - 7.0 * veg[wheat]
    rough = np.exp(-_since_plough(layout, t) / 30.0)
    vv += 4.0 * rough
    vh += 3.0 * rough
    forest, urban, water = (cover == c for c in (fields.FOREST, fields.URBAN, fields.WATER))
    vv[forest], vh[forest] = -7.5, -13.0
    vv[urban], vh[urban] = -5.0, -12.0
    vv[water], vh[water] = -22.0, -28.0
    vv[-1], vh[-1] = -11.0, -18.0
    shift = 10.0 * np.log10(np.append(layout.soil, 1.0))  # the field's own offset
    shift += (1.0 if rainy else 0.0) + (ASCENDING_OFFSET_DB if p.direction == "ASCENDING" else 0)
    vv += shift
    vh += shift - (0.5 if rainy else 0.0)
    return vv, vh


def _event_between(layout: fields.FieldLayout, t1: float, t2: float) -> np.ndarray:
    e = layout.events
    days = np.column_stack([e.mow, e.harvest, e.plough])
    inside = np.isfinite(days) & (days > t1) & (days <= t2)
    return np.append(inside.any(axis=1), False)


def coherence(
    layout: fields.FieldLayout, first: Pass, second: Pass, rain: set[date]
) -> tuple[np.ndarray, np.ndarray]:
    """(VV, VH) true 6-day coherence per cell (the verges last) of a pair."""
    t1, t2 = _doy(first.start), _doy(second.start)
    g1 = fields.ground_state(layout, t1)[0]
    g2 = fields.ground_state(layout, t2)[0]
    veg = np.clip((0.5 * (g1 + g2) - 0.15) / 0.75, 0.0, 1.0)
    cover = np.append(layout.cover, -1)
    coh = 0.66 - 0.5 * veg
    grass = cover == GRASS
    coh[grass] = 0.52 - 0.26 * veg[grass]
    coh[cover == fields.FOREST] = 0.15
    coh[cover == fields.WATER] = 0.05
    coh[cover == fields.URBAN] = 0.8
    coh[-1] = 0.35
    coh[_event_between(layout, t1, t2)] = 0.2
    if first.start.date() in rain or second.start.date() in rain:
        coh = np.where(coh > 0.1, np.maximum(coh * 0.65, 0.1), coh)
    return np.clip(coh, 0.05, 0.95), np.clip(0.12 + 0.8 * (coh - 0.12), 0.05, 0.95)


def speckled(mean_db: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Linear intensity with Gamma speckle (ENL 4.4) around the mean."""
    mean = np.power(10.0, mean_db / 10.0).astype(np.float32)
    return (mean * rng.gamma(ENL, 1.0 / ENL, size=mean.shape)).astype(np.float32)


def estimated(true: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A coherence estimate: biased up at low coherence, noisy as COH_LOOKS looks."""
    biased = np.sqrt(true**2 + math.pi / (4 * COH_LOOKS))
    noise = rng.normal(0.0, 1.0, size=true.shape) * (1 - true**2) / math.sqrt(2 * COH_LOOKS)
    return np.clip(biased + noise, 0.01, 0.99).astype(np.float32)
