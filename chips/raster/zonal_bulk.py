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


@dataclass(frozen=True)
class StatsTable:
    """One band's statistics of labels 1..n as columns (index i: label i + 1). Where a
    label has no valid pixel its count is 0 and its statistics NaN; class bands carry
    counts and `hist` only."""

    band: str
    count: np.ndarray
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    min: np.ndarray | None = None
    p25: np.ndarray | None = None
    p50: np.ndarray | None = None
    p75: np.ndarray | None = None
    max: np.ndarray | None = None
    hist: list[dict[int, int] | None] | None = None

    def __len__(self) -> int:
        return len(self.count)

    def columns(self) -> list[list[float | None]]:
        """mean, std, min, p25, p50, p75, max as lists (None where absent), for rows."""
        counts = self.count.tolist()
        out: list[list[float | None]] = []
        for column in (self.mean, self.std, self.min, self.p25, self.p50, self.p75, self.max):
            if column is None:
                out.append([None] * len(counts))
            else:
                values = column.tolist()
                out.append([None if c == 0 else v for c, v in zip(counts, values, strict=True)])
        return out

    def stats(self) -> list[BandStats]:
        """The same statistics as one BandStats per label."""
        mean, std, low, p25, p50, p75, high = self.columns()
        hist = self.hist or [None] * len(self.count)
        return [BandStats(self.band, c, mean=mean[i], std=std[i], min=low[i], p25=p25[i],
                          p50=p50[i], p75=p75[i], max=high[i], hist=hist[i])
                for i, c in enumerate(self.count.tolist())]  # fmt: skip


def _sorted_by_label(lab: np.ndarray, val: np.ndarray) -> np.ndarray:
    """The values sorted by label, then value. DNs (unsigned 16-bit) go with their label
    into one int64 key, whose sort (SIMD in numpy 2) is an order of magnitude faster than
    lexsort on two keys; other types take lexsort."""
    if val.dtype == np.uint16 or (val.dtype.kind == "u" and val.dtype.itemsize == 1):
        keys = (lab.astype(np.int64) << 16) | val.astype(np.int64)
        keys.sort()
        return (keys & 0xFFFF).astype(np.float64)
    if val.dtype == np.float32 and val.size and bool(val.min() > 0):
        # Positive float32 (Sentinel-1's linear values) sort as their bit patterns do: the
        # same one-key sort, label in the high 32 bits.
        keys = (lab.astype(np.int64) << 32) | val.view(np.uint32).astype(np.int64)
        keys.sort()
        return (keys & 0xFFFFFFFF).astype(np.uint32).view(np.float32).astype(np.float64)
    return val[np.lexsort((val, lab))].astype(np.float64)


def label_table(band: str, labels: np.ndarray, data: np.ndarray, n: int) -> StatsTable:
    """The statistics of labels 1..n over the valid pixels, vectorised."""
    valid = (labels > 0) & (data != NODATA)
    lab = labels[valid]
    val = data[valid]
    counts = np.bincount(lab, minlength=n + 1)[1:]
    if band in CLASS_BANDS:
        table = np.bincount(lab * SCL_CLASS_COUNT + val.astype(np.int64),
                            minlength=(n + 1) * SCL_CLASS_COUNT)  # fmt: skip
        table = table.reshape(n + 1, SCL_CLASS_COUNT)[1:]
        hist: list[dict[int, int] | None] = [None] * n
        rows, classes = np.nonzero(table)
        cells = table[rows, classes].tolist()
        for i, c, pixels in zip(rows.tolist(), classes.tolist(), cells, strict=True):
            entry = hist[i]
            if entry is None:
                entry = hist[i] = {}
            entry[c] = pixels
        return StatsTable(band, counts, hist=hist)
    nan = np.full(n, np.nan)
    if lab.size == 0:
        return StatsTable(band, counts, mean=nan, std=nan, min=nan, p25=nan, p50=nan,
                          p75=nan, max=nan)  # fmt: skip
    values = _sorted_by_label(lab, val)
    sums = np.bincount(lab, weights=val.astype(np.float64), minlength=n + 1)[1:]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    safe = np.where(has, counts, 1)
    means = sums / safe
    # Two-pass variance, as numpy's std: squares of the deviations from each label's mean.
    owner = np.repeat(np.arange(n), counts)
    deviations = values - means[owner]
    squares = np.bincount(owner, weights=deviations * deviations, minlength=n)
    stds = np.sqrt(squares / safe)
    top = values.size - 1

    def percentile(q: float) -> np.ndarray:
        # numpy's default ("linear"): position q/100 * (count - 1) between two sorted values.
        pos = q / 100.0 * (safe - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, safe - 1)
        frac = pos - lo
        a = values[np.minimum(starts + lo, top)]
        b = values[np.minimum(starts + hi, top)]
        return np.where(frac < 0.5, a + (b - a) * frac, b - (b - a) * (1 - frac))

    last = np.minimum(np.maximum(starts + counts - 1, 0), top)
    lows = values[np.minimum(starts, top)]
    return StatsTable(band, counts, mean=np.where(has, means, np.nan),
                      std=np.where(has, stds, np.nan), min=np.where(has, lows, np.nan),
                      p25=np.where(has, percentile(25), np.nan),
                      p50=np.where(has, percentile(50), np.nan),
                      p75=np.where(has, percentile(75), np.nan),
                      max=np.where(has, values[last], np.nan))  # fmt: skip


def label_statistics(band: str, labels: np.ndarray, data: np.ndarray, n: int) -> list[BandStats]:
    """BandStats of labels 1..n over the valid pixels (count 0 where a label has none)."""
    return label_table(band, labels, data, n).stats()


def bulk_band_table(
    href: str, band: str, key: str, polygons: Sequence[shapely.Geometry]
) -> StatsTable:
    """One band file's statistics for every polygon (in the file's CRS), in their order:
    the file opened once, one window over all of them read once."""
    n = len(polygons)
    if n == 0:
        return label_table(band, np.zeros((0,), np.int32), np.zeros((0,), np.uint16), 0)
    try:
        with raster_env(), rasterio.open(gdal_path(href)) as src:
            grid = label_grid(key, polygons, src.transform, src.width, src.height)
            if grid.window is None:
                return label_table(band, np.zeros((0,), np.int32), np.zeros((0,), np.uint16), n)
            data = src.read(1, window=grid.window)
    except RasterioError as exc:
        raise SourceUnreadable(href, str(exc)) from exc
    return label_table(band, grid.labels, data, n)


def bulk_band_stats(
    href: str, band: str, key: str, polygons: Sequence[shapely.Geometry]
) -> list[BandStats]:
    """bulk_band_table as one BandStats per polygon."""
    return bulk_band_table(href, band, key, polygons).stats()
