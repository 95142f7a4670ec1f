"""Sentinel-1 band files (no Django): linear backscatter or coherence, float32, read as
values where the source's nodata (0, -32768 or NaN, as the product says) and every
non-finite value are invalid. Chips are windows of the source grid written as float32
with nodata NaN; parcel statistics count the valid pixels only.

Zero is never a valid value (linear power 0 is -inf dB; the JRC writes 0 for nodata in
both kinds), so the bulk engine, which treats 0 as nodata, sees the same pixels as the
one-parcel one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import rasterio
import shapely
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.io import MemoryFile
from rasterio.windows import Window

from chips.raster.chipspec import ChipSpec
from chips.raster.errors import SourceUnreadable
from chips.raster.gdal_env import gdal_path, raster_env, sidecars
from chips.raster.zonal import BandStats, pixel_mask, statistics
from chips.raster.zonal_bulk import StatsTable, label_grid, label_table


@dataclass(frozen=True)
class SarBand:
    """One polarisation of a product: its file, the band in it (1-based) and the nodata
    value the product declares (None: NaN only)."""

    href: str
    index: int = 1
    nodata: float | None = None


def valid(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """Where values are valid: finite, not the nodata value, not 0."""
    ok = np.isfinite(data) & (data != 0)
    if nodata is not None and np.isfinite(nodata):
        ok &= data != nodata
    return ok


def as_linear(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """float32 values with NaN wherever the pixel is invalid."""
    out = data.astype(np.float32, copy=True)
    out[~valid(data, nodata)] = np.nan
    return out


def read_window(src: rasterio.DatasetReader, band: SarBand, window: Window) -> np.ndarray:
    return src.read(band.index, window=window)


def band_stats(name: str, band: SarBand, polygon: shapely.Geometry) -> BandStats:
    """One polarisation's statistics for the parcel (`polygon` in the file's CRS), linear:
    the file opened once, the window over the parcel read once."""
    return file_stats([(name, band)], polygon)[0]


def file_stats(bands: Sequence[tuple[str, SarBand]], polygon: shapely.Geometry) -> list[BandStats]:
    """The statistics of polarisations one file holds (a coherence file holds VV and VH;
    `bands` all name the same href), in their order: the file opened once and the window
    over the parcel read once for all of them (one open per polarisation cost a quarter
    of a coherence season's opens)."""
    href = bands[0][1].href
    try:
        with raster_env(), sidecars(href), rasterio.open(gdal_path(href)) as src:
            found = pixel_mask(polygon, src.transform, src.width, src.height)
            if found is None:
                return [BandStats(name, 0) for name, _ in bands]
            window, inside = found
            data = src.read([band.index for _, band in bands], window=window)
    except (RasterioError, IndexError) as exc:
        raise SourceUnreadable(href, str(exc)) from exc
    out = []
    for (name, band), layer in zip(bands, data, strict=True):
        values = layer[inside]
        out.append(statistics(name, values[valid(values, band.nodata)]))
    return out


def parcel_stats(files: Mapping[str, SarBand], polygon: shapely.Geometry) -> list[BandStats]:
    """A parcel's statistics on each polarisation of a product ({polarisation: band}), by
    polarisation; each file opened once, whatever polarisations it holds. SourceUnreadable
    if a file cannot be read."""
    by_href: dict[str, list[tuple[str, SarBand]]] = {}
    for pol, band in sorted(files.items()):
        by_href.setdefault(band.href, []).append((pol, band))
    found = {s.band: s for group in by_href.values() for s in file_stats(group, polygon)}
    return [found[pol] for pol in sorted(files)]


def bulk_table(
    name: str, band: SarBand, key: str, polygons: Sequence[shapely.Geometry]
) -> StatsTable:
    """One polarisation's statistics for every polygon, in their order: the band read once
    over all of them (chips.raster.zonal_bulk's label engine)."""
    n = len(polygons)
    empty = np.zeros((0,), np.int32), np.zeros((0,), np.float32)
    if n == 0:
        return label_table(name, *empty, 0)
    try:
        with raster_env(), sidecars(band.href), rasterio.open(gdal_path(band.href)) as src:
            grid = label_grid(key, polygons, src.transform, src.width, src.height)
            if grid.window is None:
                return label_table(name, *empty, n)
            data = read_window(src, band, grid.window)
    except (RasterioError, IndexError) as exc:
        raise SourceUnreadable(band.href, str(exc)) from exc
    # Invalid pixels become 0, which the label engine leaves out.
    clean = np.where(valid(data, band.nodata), data, 0).astype(np.float32)
    return label_table(name, grid.labels, clean, n)


def read_chip(src: rasterio.DatasetReader, spec: ChipSpec) -> np.ndarray:
    """The spec's window of its band, float32, NaN where invalid or outside the raster."""
    out = np.full((spec.size_y, spec.size_x), np.nan, dtype=np.float32)
    c0, r0 = max(spec.col_off, 0), max(spec.row_off, 0)
    c1 = min(spec.col_off + spec.size_x, src.width)
    r1 = min(spec.row_off + spec.size_y, src.height)
    if c1 <= c0 or r1 <= r0:
        return out
    data = src.read(spec.band_index, window=Window(c0, r0, c1 - c0, r1 - r0))
    out[r0 - spec.row_off : r1 - spec.row_off, c0 - spec.col_off : c1 - spec.col_off] = as_linear(
        data, spec.source_nodata
    )
    return out


def encode_chip(array: np.ndarray, spec: ChipSpec) -> bytes:
    """The chip as GeoTIFF bytes: one float32 band named by its polarisation, the product's
    CRS and grid, nodata NaN, DEFLATE with the floating-point predictor, the tags."""
    profile = {
        "driver": "GTiff",
        "width": spec.size_x,
        "height": spec.size_y,
        "count": 1,
        "dtype": "float32",
        "crs": CRS.from_epsg(spec.epsg),
        "transform": spec.transform,
        "nodata": float("nan"),
        "compress": "DEFLATE",
        "zlevel": 1,
        "predictor": 3,
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(array.astype(np.float32, copy=False), 1)
            dst.update_tags(**dict(spec.tags))
            dst.set_band_description(1, spec.band)
        return bytes(mem.getbuffer())
