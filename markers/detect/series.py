"""The observations a detector reads: plain arrays, days as ordinal integers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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


@dataclass
class S1Orbit:
    """One relative orbit's Sentinel-1 series of a parcel (never mixed with another orbit:
    the viewing geometry changes backscatter by decibels)."""

    orbit: int
    days: np.ndarray
    vh: np.ndarray  # backscatter, dB (NaN where absent)
    coh_vv: np.ndarray  # 6-day coherence 0..1 of the pair ending that day (NaN where absent)


@dataclass
class ParcelSeries:
    s2: S2Series
    s1: list[S1Orbit] = field(default_factory=list)


def day(ordinal: int | float) -> dt.date:
    return dt.date.fromordinal(int(round(ordinal)))
