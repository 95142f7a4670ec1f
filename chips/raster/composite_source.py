"""A composite made straight from its sources (no Django): the windows of its three bands
and SCL read from the band files (or from raw chips the store already holds), rendered
(chips.raster.render) and written as one PNG. No raw chip is written on the way.

Plain values in, an int (bytes written) or a str (why it failed) out, so that a worker of
the forkserver cut pool (chips.work.pool) can run it: ChipErrors cannot be pickled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.errors import RasterioError

from chips.raster import sar
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError, SourceUnreadable
from chips.raster.extract import read_window, write_atomic
from chips.raster.gdal_env import gdal_path, raster_env, sidecars
from chips.raster.render import BandArray, Lut, cloud_share, render_composite


@dataclass(frozen=True)
class CompositeSource:
    """Where one band's window comes from: the band file (`held` None) or the path of the
    raw chip of exactly that spec, already in the store (its whole file is the window)."""

    spec: ChipSpec
    held: str | None = None


@dataclass(frozen=True)
class CompositeWork:
    """One composite to make: its three bands (the first one's grid is the PNG's), its SCL
    (for the cloud share), its stretch, the parcel outline in the scene's CRS (WKT), the
    PNG's text chunks and where the PNG goes."""

    bands: tuple[CompositeSource, CompositeSource, CompositeSource]
    scl: CompositeSource | None
    lut: Lut
    outline_wkt: str | None
    text: tuple[tuple[str, str], ...]
    target: str
    # Sentinel-1 (bands: VV, VH, VV of one product): "CARD-BS" renders VV dB, VH dB and
    # the VV/VH ratio in dB; "CARD-COH6" VV, VH and VV coherence. "" for Sentinel-2.
    recipe: str = ""


def read_source(source: CompositeSource) -> np.ndarray:
    """The spec's window: from its raw chip if held, else from the band file (one open,
    one windowed read, clipped to the raster and filled with nodata outside it)."""
    spec = source.spec
    path = source.held if source.held is not None else gdal_path(spec.href)
    try:
        with rasterio.open(path) as src:
            if source.held is not None:
                return src.read(1)
            return read_window(src, spec)
    except RasterioError as exc:
        raise SourceUnreadable(source.held or spec.href, str(exc)) from exc


def make_png(work: CompositeWork, *, decode_threads: int | None = 1) -> int:
    """Write the composite's PNG (atomically) and answer its size; 0, and nothing written,
    when none of the three bands has a valid pixel in the window. Each window is read once.
    `decode_threads` caps GDAL's decoding threads (a pool worker: 1, the pool keeps the
    cores busy)."""
    overrides = {} if decode_threads is None else {"GDAL_NUM_THREADS": str(decode_threads)}
    if work.recipe:
        return _make_sar_png(work, overrides)
    with raster_env(**overrides):
        arrays = [read_source(s) for s in work.bands]
        if not any(np.any(a != s.spec.nodata) for a, s in zip(arrays, work.bands, strict=True)):
            return 0
        scl = read_source(work.scl) if work.scl is not None else None
    text = dict(work.text)
    if scl is not None and work.scl is not None:
        share = cloud_share(scl, nodata=work.scl.spec.nodata)
        if share is not None:
            text["cloud_share"] = f"{share:.4f}"
    bands = [
        BandArray(s.spec.band, a, s.spec.transform, s.spec.nodata)
        for s, a in zip(work.bands, arrays, strict=True)
    ]
    outline = shapely.from_wkt(work.outline_wkt) if work.outline_wkt else None
    png, _ = render_composite(
        bands=bands, crs=f"EPSG:{work.bands[0].spec.epsg}", lut=work.lut, outline=outline, text=text
    )
    write_atomic(Path(work.target), png)
    return len(png)


def read_sar_source(source: CompositeSource) -> np.ndarray:
    """A Sentinel-1 window, float32 with NaN where invalid: the held raw chip (already so)
    or the polarisation's band of the product file."""
    spec = source.spec
    try:
        if source.held is not None:
            with rasterio.open(source.held) as src:
                return src.read(1)
        with sidecars(spec.href), rasterio.open(gdal_path(spec.href)) as src:
            return sar.read_chip(src, spec)
    except (RasterioError, IndexError) as exc:
        raise SourceUnreadable(source.held or spec.href, str(exc)) from exc


def sar_layers(recipe: str, vv: np.ndarray, vh: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The three layers a Sentinel-1 composite shows (NaN where either is invalid)."""
    if recipe == "CARD-BS":
        with np.errstate(divide="ignore", invalid="ignore"):
            vv_db = (10.0 * np.log10(vv)).astype(np.float32)
            vh_db = (10.0 * np.log10(vh)).astype(np.float32)
        return [("VV", vv_db), ("VH", vh_db), ("VV/VH", vv_db - vh_db)]
    return [("VV", vv), ("VH", vh), ("VV", vv)]


def _make_sar_png(work: CompositeWork, overrides: dict[str, str]) -> int:
    with raster_env(**overrides):
        vv, vh = (read_sar_source(s) for s in work.bands[:2])
    if not (np.isfinite(vv).any() or np.isfinite(vh).any()):
        return 0
    transform = work.bands[0].spec.transform
    bands = [BandArray(name, data, transform, float("nan"))
             for name, data in sar_layers(work.recipe, vv, vh)]  # fmt: skip
    outline = shapely.from_wkt(work.outline_wkt) if work.outline_wkt else None
    png, _ = render_composite(bands=bands, crs=f"EPSG:{work.bands[0].spec.epsg}", lut=work.lut,
                              outline=outline, text=dict(work.text),
                              digits=1 if work.recipe == "CARD-BS" else 2)  # fmt: skip
    write_atomic(Path(work.target), png)
    return len(png)


def make_png_reporting(work: CompositeWork) -> int | ChipError:
    """make_png for a worker of a pool (another process): a failure comes back as the
    error itself."""
    try:
        return make_png(work)
    except ChipError as exc:
        return exc
