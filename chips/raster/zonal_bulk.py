"""Zonal statistics of many parcels on one band file at once (no Django): a label raster
of the parcels on the band's grid (rasterized once per grid and kept), then per-label
statistics in vectorised numpy: counts and sums by bincount, percentiles from one sort by
label and value. The same pixels and the same statistics as chips.raster.zonal.

A pixel belongs to one label only: parcels whose interiors overlap another's are left to
the caller (`overlapping`), which computes them one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.windows import Window

from chips.raster.errors import SourceUnreadable
from chips.raster.gdal_env import gdal_path, raster_env
from chips.raster.zonal import CLASS_BANDS, NODATA, BandStats, parcel_window

SCL_CLASS_COUNT = 16


def overlapping(polygons: Sequence[shapely.Geometry]) -> set[int]:
    """Indexes of the polygons whose interior meets another's (neighbours that only touch
    are not: they share no pixel centre)."""
    tree = shapely.STRtree(polygons)
    found: set[int] = set()
    for predicate in ("overlaps", "contains", "within"):
        left, right = tree.query(polygons, predicate=predicate)
        pairs = left != right
        found.update(left[pairs].tolist())
        found.update(right[pairs].tolist())
    return found


@dataclass(frozen=True)
class LabelGrid:
    """The parcels' labels (1..n, 0: none) over a window of a band grid."""

    window: Window | None
    labels: np.ndarray


@lru_cache(maxsize=8)
def _labels(
    key: str, wkbs: tuple[bytes, ...], grid: tuple[float, ...], width: int, height: int
) -> LabelGrid:
    polygons = shapely.from_wkb(list(wkbs))
    transform = Affine(*grid)
    left, bottom, right, top = shapely.total_bounds(polygons).tolist()
    window = parcel_window(transform, width, height, (left, bottom, right, top))
    if window is None:
        return LabelGrid(None, np.zeros((0, 0), dtype=np.int32))
    labels = rasterize(
        [(p, i + 1) for i, p in enumerate(polygons)],
        out_shape=(int(window.height), int(window.width)),
        transform=transform @ Affine.translation(window.col_off, window.row_off),
        fill=0,
        all_touched=False,
        dtype="int32",
    )
    labels.setflags(write=False)
    return LabelGrid(window, labels)


def label_grid(
    key: str, polygons: Sequence[shapely.Geometry], transform: Affine, width: int, height: int
) -> LabelGrid:
    """The label raster of `polygons` (label i+1 for polygons[i]) on a grid, kept for the
    next band and the next date on that grid. `key` names the parcel set (the cache
    compares the geometries too)."""
    wkbs = tuple(shapely.to_wkb(list(polygons)).tolist())
    return _labels(key, wkbs, tuple(transform)[:6], width, height)


def label_statistics(band: str, labels: np.ndarray, data: np.ndarray, n: int) -> list[BandStats]:
    """BandStats of labels 1..n over the valid pixels (count 0 where a label has none)."""
    valid = (labels > 0) & (data != NODATA)
    lab = labels[valid]
    val = data[valid]
    counts = np.bincount(lab, minlength=n + 1)[1:]
    if band in CLASS_BANDS:
        table = np.bincount(lab * SCL_CLASS_COUNT + val.astype(np.int64),
                            minlength=(n + 1) * SCL_CLASS_COUNT)  # fmt: skip
        table = table.reshape(n + 1, SCL_CLASS_COUNT)[1:]
        out = []
        for i in range(n):
            row = table[i]
            hist = {int(c): int(row[c]) for c in np.flatnonzero(row)}
            out.append(BandStats(band, int(counts[i]), hist=hist if counts[i] else None))
        return out
    if lab.size == 0:
        return [BandStats(band, 0) for _ in range(n)]
    order = np.lexsort((val, lab))
    values = val[order].astype(np.float64)
    sums = np.bincount(lab, weights=val.astype(np.float64), minlength=n + 1)[1:]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    safe = np.where(has, counts, 1)
    means = sums / safe
    # Two-pass variance, as numpy's std: squares of the deviations from each label's mean.
    deviations = values - np.repeat(means, counts)
    squares = np.bincount(np.repeat(np.arange(n), counts), weights=deviations**2, minlength=n)
    stds = np.sqrt(squares / safe)

    def percentile(q: float) -> np.ndarray:
        # numpy's default ("linear"): position q/100 * (count - 1) between two sorted values.
        pos = q / 100.0 * (safe - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, safe - 1)
        frac = pos - lo
        top = values.size - 1
        a = values[np.minimum(starts + lo, top)]
        b = values[np.minimum(starts + hi, top)]
        return np.where(frac < 0.5, a + (b - a) * frac, b - (b - a) * (1 - frac))

    p25, p50, p75 = percentile(25), percentile(50), percentile(75)
    last = np.maximum(starts + counts - 1, 0)
    out = []
    for i in range(n):
        if not has[i]:
            out.append(BandStats(band, 0))
            continue
        out.append(BandStats(band, int(counts[i]), mean=float(means[i]), std=float(stds[i]),
                             min=float(values[starts[i]]), p25=float(p25[i]), p50=float(p50[i]),
                             p75=float(p75[i]), max=float(values[last[i]])))  # fmt: skip
    return out


def bulk_band_stats(
    href: str, band: str, key: str, polygons: Sequence[shapely.Geometry]
) -> list[BandStats]:
    """One band file's statistics for every polygon (in the file's CRS), in their order:
    the file opened once, one window over all of them read once."""
    n = len(polygons)
    try:
        with raster_env(), rasterio.open(gdal_path(href)) as src:
            grid = label_grid(key, polygons, src.transform, src.width, src.height)
            if grid.window is None:
                return [BandStats(band, 0) for _ in range(n)]
            data = src.read(1, window=grid.window)
    except RasterioError as exc:
        raise SourceUnreadable(href, str(exc)) from exc
    return label_statistics(band, grid.labels, data, n)
