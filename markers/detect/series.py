"""The observations a detector reads: plain arrays, days as ordinal integers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass
class S2Series:
    """One parcel's Sentinel-2 acquisitions in time order: surface reflectance (0..1) of the
    parcel's mean per band, and the share (0..100) of its SCL pixels in the clear classes."""

    days: np.ndarray  # int ordinal (date.toordinal()), ascending
    clear: np.ndarray  # percent of the parcel's SCL pixels clear; NaN when unknown
    blue: np.ndarray  # B02
    red: np.ndarray  # B04
    nir: np.ndarray  # B08
    swir: np.ndarray  # B11

    def __post_init__(self) -> None:
        order = np.argsort(self.days, kind="stable")
        for name in ("days", "clear", "blue", "red", "nir", "swir"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=float)[order])
        self.days = self.days.astype(np.int64)

    def __len__(self) -> int:
        return len(self.days)

    @property
    def ndvi(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.nir - self.red) / (self.nir + self.red)

    @property
    def bsi(self) -> np.ndarray:
        """Bare soil index ((B11 + B04) - (B08 + B02)) / ((B11 + B04) + (B08 + B02))."""
        a, b = self.swir + self.red, self.nir + self.blue
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a - b) / (a + b)

    @classmethod
    def empty(cls) -> S2Series:
        z = np.zeros(0)
        return cls(z, z, z, z, z, z)


@dataclass(frozen=True)
class S1Obs:
    """One Sentinel-1 acquisition of a parcel on one orbit, as the detector reads it: the
    parcel's mean backscatter (gamma0, linear power: averaged in power, then turned to dB
    here) and the 6-day (12-day where one satellite flew) coherence of the pair ending on
    `date`. Any of the four may be missing (a backscatter-only or coherence-only day).
    `coh_pixels`: how many pixels the coherence mean holds (its noise: markers.detect.s1)."""

    date: dt.date
    orbit: str  # direction and relative orbit, e.g. "ASC-88": series never mix two
    vv_bs: float | None = None
    vh_bs: float | None = None
    vv_coh: float | None = None
    vh_coh: float | None = None
    coh_pixels: int | None = None


@dataclass
class S1Orbit:
    """One orbit's series of a parcel, in time order (never mixed with another orbit: the
    incidence angle changes backscatter by a dB or two)."""

    orbit: str
    days: np.ndarray  # int ordinals, ascending
    vv: np.ndarray  # backscatter dB (NaN where absent)
    vh: np.ndarray  # backscatter dB (NaN where absent)
    coh: np.ndarray  # coherence 0..1 of the pair ending that day, VV (VH where VV lacks)
    pixels: np.ndarray | None = None  # pixels of each coherence mean (NaN: not known)


def _db(linear: float | None) -> float:
    # A mean of zero or below is no backscatter (the CbM client drops such rows too).
    return 10.0 * math.log10(linear) if linear is not None and linear > 0 else math.nan


def _coh(value: float | None) -> float:
    return float(value) if value is not None and 0.0 <= value <= 1.0 else math.nan


def s1_orbits(observations: Iterable[S1Obs]) -> list[S1Orbit]:
    """The observations split per orbit, each in time order (one row per day and orbit:
    a second one of the same day fills what the first lacks). VV coherence first: it is
    the one the mowing literature reads (Tamm et al. 2016; Sen4CAP L4B); VH's is noisier."""
    per: dict[str, dict[int, list[float]]] = {}
    for o in observations:
        row = per.setdefault(o.orbit, {}).setdefault(o.date.toordinal(), [math.nan] * 4)
        vh_coh = _coh(o.vh_coh)
        vv_coh = _coh(o.vv_coh)
        coh = vv_coh if vv_coh == vv_coh else vh_coh
        pixels = float(o.coh_pixels) if o.coh_pixels and coh == coh else math.nan
        values = (_db(o.vv_bs), _db(o.vh_bs), coh, pixels)
        for i, v in enumerate(values):
            if row[i] != row[i] and v == v:  # NaN: not yet known
                row[i] = v
    out = []
    for orbit, rows in sorted(per.items()):
        days = sorted(rows)
        arr = np.array([rows[d] for d in days], dtype=float).reshape(-1, 4)
        out.append(S1Orbit(orbit, np.array(days, dtype=np.int64), arr[:, 0], arr[:, 1], arr[:, 2],
                           arr[:, 3]))  # fmt: skip
    return out


def day(ordinal: int | float) -> dt.date:
    return dt.date.fromordinal(int(round(ordinal)))
