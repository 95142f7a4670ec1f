"""Zonal statistics of one parcel on a scene's band files (no Django): the parcel's pixels
(centre inside the polygon) on each band's own grid, nodata excluded.

One window per band file over the parcel's bounds, read once; the pixel mask computed once
per grid and kept (a tile's grid never changes, so every date of the tile reuses it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.errors import RasterioError
from rasterio.features import geometry_mask
from rasterio.windows import Window

from chips.raster.errors import SourceUnreadable
from chips.raster.gdal_env import gdal_path, raster_env

NODATA = 0
# Bands whose values are class codes: only their count and class histogram mean anything.
CLASS_BANDS = frozenset({"SCL"})


@dataclass(frozen=True)
class BandStats:
    """One band's statistics over the parcel's valid pixels (count 0: none; the rest None).
    `hist` ({class: pixels}) for class bands; their other statistics are None."""

    band: str
    count: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    max: float | None = None
    hist: dict[int, int] | None = None


def parcel_window(
    transform: Affine, width: int, height: int, bounds: tuple[float, float, float, float]
) -> Window | None:
    """The pixels of the grid whose area meets the parcel's bounds, clipped to the raster;
    None when the parcel lies outside it."""
    inverse = ~transform
    left, bottom, right, top = bounds
    cols, rows = zip(*(inverse @ (x, y) for x in (left, right) for y in (bottom, top)), strict=True)
    col0 = max(0, math.floor(min(cols)))
    row0 = max(0, math.floor(min(rows)))
    col1 = min(width, math.ceil(max(cols)))
    row1 = min(height, math.ceil(max(rows)))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


@lru_cache(maxsize=1024)
def _mask(
    wkb: bytes, grid: tuple[float, ...], width: int, height: int
) -> tuple[Window, np.ndarray] | None:
    """(window, inside): the window over the parcel and the pixels whose centre lies
    inside it (all_touched=False), for this polygon on this grid."""
    polygon = shapely.from_wkb(wkb)
    transform = Affine(*grid)
    window = parcel_window(transform, width, height, polygon.bounds)
    if window is None:
        return None
    shape = (int(window.height), int(window.width))
    inside = geometry_mask(
        [polygon],
        out_shape=shape,
        transform=transform @ Affine.translation(window.col_off, window.row_off),
        all_touched=False,
        invert=True,
    )
    inside.setflags(write=False)
    return window, inside


def pixel_mask(
    polygon: shapely.Geometry, transform: Affine, width: int, height: int
) -> tuple[Window, np.ndarray] | None:
    """The parcel's window and pixel mask on a grid (kept for the life of the process)."""
    return _mask(shapely.to_wkb(polygon), tuple(transform)[:6], width, height)


def statistics(band: str, values: np.ndarray) -> BandStats:
    """The statistics of the valid values: population std, numpy's linear percentiles."""
    count = int(values.size)
    if count == 0:
        return BandStats(band, 0)
    if band in CLASS_BANDS:
        classes, counts = np.unique(values, return_counts=True)
        hist = dict(zip(classes.tolist(), counts.tolist(), strict=True))
        return BandStats(band, count, hist=hist)
    data = values.astype(np.float64)
    p25, p50, p75 = np.percentile(data, [25, 50, 75]).tolist()
    return BandStats(
        band,
        count,
        mean=float(data.mean()),
        std=float(data.std()),
        min=float(data.min()),
        p25=p25,
        p50=p50,
        p75=p75,
        max=float(data.max()),
    )


def band_stats(href: str, band: str, polygon: shapely.Geometry) -> BandStats:
    """One band file's statistics for the parcel (`polygon` in the file's CRS): the file
    opened once, the window over the parcel read once."""
    try:
        with raster_env(), rasterio.open(gdal_path(href)) as src:
            found = pixel_mask(polygon, src.transform, src.width, src.height)
            if found is None:
                return BandStats(band, 0)
            window, inside = found
            data = src.read(1, window=window)
    except RasterioError as exc:
        raise SourceUnreadable(href, str(exc)) from exc
    values = data[inside]
    return statistics(band, values[values != NODATA])


def scene_stats(files: Mapping[str, str], polygon: shapely.Geometry) -> list[BandStats]:
    """Every band asked of one scene ({band: href}), each file opened once. A file that
    cannot be read raises SourceUnreadable: the scene's date fails, the others do not."""
    return [band_stats(href, band, polygon) for band, href in sorted(files.items())]


def clear_share(hist: Mapping[int, int] | None, clear: Sequence[int]) -> float | None:
    """Percent of the parcel's SCL pixels in the clear classes; None without pixels."""
    if not hist:
        return None
    total = sum(hist.values())
    return 100.0 * sum(n for c, n in hist.items() if int(c) in clear) / total
