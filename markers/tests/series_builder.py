"""Hand-built Sentinel-2 series for the detector's tests: NDVI and SWIR values turned into
band reflectances by the NDVI definition (not by the detector's code)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from markers.detect.series import S2Series

YEAR = 2024
NIR = 0.40


def day(month: int, dom: int) -> int:
    return dt.date(YEAR, month, dom).toordinal()


def series(
    days: Sequence[int],
    ndvi: Sequence[float],
    *,
    swir: Sequence[float] | float = 0.2,
    clear: Sequence[float] | float = 100.0,
    blue: Sequence[float] | float = 0.03,
) -> S2Series:
    """red from NDVI = (NIR - red) / (NIR + red) with NIR fixed at 0.40."""
    n = np.asarray(ndvi, dtype=float)
    red = NIR * (1 - n) / (1 + n)

    def full(v: Sequence[float] | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), n.shape).copy()

    return S2Series(
        np.asarray(days), full(clear), full(blue), red, np.full(n.shape, NIR), full(swir)
    )


def every(start: int, n: int, step: int = 5) -> list[int]:
    return [start + step * i for i in range(n)]


def grass(
    days: Sequence[int], cuts: Sequence[int], depth: float = 0.35, tau: float = 14.0
) -> list[float]:
    """A sward at 0.82 NDVI, cut at `cuts` (ordinals), regrowing with time constant tau."""
    out = []
    for d in days:
        v = 0.82
        for c in cuts:
            if d >= c:
                v -= depth * np.exp(-(d - c) / tau)
        out.append(round(float(v), 4))
    return out
