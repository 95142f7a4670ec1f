"""The raw chip extractor: windows on a band file's own grid, read and written as GeoTIFF.

No Django here: plain values in, files out, so any worker can run it. Pixels are never
resampled nor reprojected: a chip is a window of the source grid, in the scene's CRS.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.io import MemoryFile
from rasterio.windows import Window

from chips.raster import sar
from chips.raster.bands import SCL_CLASSES
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError, ChipWriteFailed, SourceUnreadable
from chips.raster.gdal_env import gdal_path, raster_env, sidecars

# The one place a failing file's path is written: the errors' messages never carry it.
log = logging.getLogger(__name__)


def _unreadable(href: str, exc: Exception, spec: ChipSpec | None = None) -> SourceUnreadable:
    log.warning("cannot read %s: %s", href, exc)
    if spec is None:
        return SourceUnreadable(href, str(exc))
    return SourceUnreadable(href, str(exc), product=spec.product_id, band=spec.band)


@dataclass(frozen=True)
class BandGrid:
    """The pixel grid of a band file, as its own header says."""

    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int


@lru_cache(maxsize=4096)
def band_grid(href: str) -> BandGrid:
    """The grid of a band file. Files in the archive never change under the same href, so
    the answer is kept for the life of the process (a warm request opens no file)."""
    try:
        with raster_env(), sidecars(href), rasterio.open(gdal_path(href)) as src:
            return BandGrid(tuple(src.transform)[:6], src.width, src.height)
    except RasterioError as exc:
        raise _unreadable(href, exc) from exc


def snap_window(
    grid: tuple[float, ...], *, x: float, y: float, chipsize: float
) -> tuple[int, int, int, int]:
    """(col_off, row_off, size_x, size_y) of the chip of `chipsize` metres centred on (x, y):
    exactly chipsize/res pixels, on the grid, its centre within half a pixel of the point."""
    transform = Affine(*grid[:6])
    size_x = max(1, round(chipsize / abs(transform.a)))
    size_y = max(1, round(chipsize / abs(transform.e)))
    col_f, row_f = ~transform @ (x, y)
    col_off = math.floor(col_f - size_x / 2 + 0.5)
    row_off = math.floor(row_f - size_y / 2 + 0.5)
    return col_off, row_off, size_x, size_y


def read_window(src: rasterio.DatasetReader, spec: ChipSpec) -> np.ndarray:
    """The spec's window of band 1; the part outside the raster is filled with nodata.
    The window is clipped to the raster and read as such (rasterio's boundless read goes
    through a VRT, which costs a second decode of JPEG 2000 tiles)."""
    out = np.full((spec.size_y, spec.size_x), spec.nodata, dtype=src.dtypes[0])
    c0, r0 = max(spec.col_off, 0), max(spec.row_off, 0)
    c1 = min(spec.col_off + spec.size_x, src.width)
    r1 = min(spec.row_off + spec.size_y, src.height)
    if c1 <= c0 or r1 <= r0:
        return out
    data = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
    out[r0 - spec.row_off : r1 - spec.row_off, c0 - spec.col_off : c1 - spec.col_off] = data
    return out


# Sentinel-2 DNs are reflectance x 10000 (plus the baseline's offset, in DN).
REFLECTANCE_SCALE = 1e-4
OFFSET_TAGS = ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET")


def reflectance_scaling(spec: ChipSpec) -> tuple[float, float] | None:
    """(scale, offset) that turn the chip's DN into reflectance, as GDAL applies them
    (value = DN * scale + offset): QGIS and rasterio's readers show reflectance while the
    stored DN stay the source's. None for SCL, whose values are class codes."""
    if spec.band == "SCL":
        return None
    tags = dict(spec.tags)
    offset_dn = next((int(tags[name]) for name in OFFSET_TAGS if name in tags), 0)
    return REFLECTANCE_SCALE, offset_dn * REFLECTANCE_SCALE


def scl_class_tags() -> dict[str, str]:
    """The SCL legend as band metadata (CLASS_<code>=<name>): GeoTIFF has no place for
    category names inside the file (GDAL writes them to an .aux.xml beside it, which a
    downloaded chip would lose), band metadata travels in the file's GDAL_METADATA tag."""
    return {f"CLASS_{code}": name for code, (name, _) in SCL_CLASSES.items()}


def encode_geotiff(array: np.ndarray, spec: ChipSpec) -> bytes:
    """The chip as GeoTIFF bytes: one band, source dtype, the scene's EPSG, nodata,
    DEFLATE, the product tags, scale and offset to reflectance, and for SCL chips the
    class colour table and class names."""
    profile = {
        "driver": "GTiff",
        "width": spec.size_x,
        "height": spec.size_y,
        "count": 1,
        "dtype": array.dtype.name,
        "crs": CRS.from_epsg(spec.epsg),
        "transform": spec.transform,
        "nodata": spec.nodata,
        "compress": "DEFLATE",
        # The fastest level: a chip is written once per cut and read a few times; level 1
        # costs a quarter less time than the default 6 for files within a few per cent.
        "zlevel": 1,
    }
    if array.dtype.itemsize > 1:
        profile["predictor"] = 2  # horizontal differencing: smaller files for reflectances
    is_scl = spec.band == "SCL"
    if is_scl:
        profile["photometric"] = "PALETTE"
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            if is_scl:  # before the pixels: libtiff fixes the photometric tag on first write
                dst.write_colormap(1, {v: (*rgb, 255) for v, (_, rgb) in SCL_CLASSES.items()})
            dst.write(array, 1)
            dst.update_tags(**dict(spec.tags))
            dst.set_band_description(1, spec.band)
            scaling = reflectance_scaling(spec)
            if scaling is not None:
                dst.scales, dst.offsets = (scaling[0],), (scaling[1],)
            if is_scl:
                dst.update_tags(1, **scl_class_tags())
        return bytes(mem.getbuffer())


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either absent or complete, whatever
    process dies when: a temporary name in the same folder, then a rename (atomic on
    POSIX). No fsync: the rename happens only after every byte went to the kernel, so no
    reader ever sees a partial file; only a power loss or a kernel crash could leave a
    short file under the final name, and the cache checks each file's size against its
    record before serving it (chips.store.cache.held), so such a chip is cut again. An
    fsync per chip cost 2-5 ms, more than reading the chip."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", suffix=".tif", dir=path.parent)
    except OSError as exc:
        raise ChipWriteFailed(str(path), str(exc)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ChipWriteFailed(str(path), str(exc)) from exc
        raise


def cut_chips(
    jobs: Iterable[tuple[ChipSpec, Path]], *, decode_threads: int | None = None
) -> dict[str, int]:
    """Cut each spec into its path. Specs sharing a band file are read through one open
    dataset. Answers {spec.key: bytes written}; a chip without a single valid pixel is
    not written and answers 0. `decode_threads` caps the threads GDAL decodes one file
    with (a caller already cutting several files at once passes 1: more threads than
    cores only fight over them); the setting is local to the calling thread."""
    by_href: dict[str, list[tuple[ChipSpec, Path]]] = {}
    for spec, path in jobs:
        by_href.setdefault(spec.href, []).append((spec, path))
    written: dict[str, int] = {}
    overrides = {} if decode_threads is None else {"GDAL_NUM_THREADS": str(decode_threads)}
    with raster_env(**overrides):
        for href, group in by_href.items():
            written.update(_cut_from_one_file(href, group))
    return written


def cut_file_reporting(
    jobs: Sequence[tuple[ChipSpec, Path]], decode_threads: int | None = 1
) -> dict[str, int] | ChipError:
    """cut_chips for the chips of one band file, run by a worker of a pool (another
    process, see chips.work.pool): a failure comes back as the error itself, one file's
    failure a value among the others'. One decoding thread by default: the pool already
    keeps the cores busy."""
    try:
        return cut_chips(jobs, decode_threads=decode_threads)
    except ChipError as exc:
        return exc


def _cut_from_one_file(href: str, group: Sequence[tuple[ChipSpec, Path]]) -> dict[str, int]:
    written: dict[str, int] = {}
    try:
        with sidecars(href):
            src = rasterio.open(gdal_path(href))
    except RasterioError as exc:
        raise _unreadable(href, exc, group[0][0]) from exc
    with src:
        for spec, path in group:
            try:
                array = sar.read_chip(src, spec) if spec.sar else read_window(src, spec)
            except (RasterioError, IndexError) as exc:
                raise _unreadable(href, exc, spec) from exc
            if not (np.any(np.isfinite(array)) if spec.sar else np.any(array != spec.nodata)):
                written[spec.key] = 0
                continue
            data = sar.encode_chip(array, spec) if spec.sar else encode_geotiff(array, spec)
            try:
                write_atomic(path, data)
            except ChipWriteFailed as exc:
                log.warning("cannot write %s: %s", exc.path, exc.reason)
                raise ChipWriteFailed(
                    exc.path, exc.reason, product=spec.product_id, band=spec.band
                ) from exc
            written[spec.key] = len(data)
    return written
