"""A small test orthophoto: an RGB COG in EPSG:3857 on the zoom-18 grid of XYZ tiles (so a
tile server cuts it without resampling), smooth field-like colours with texture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds, from_origin
from rasterio.warp import reproject

WORLD = 20037508.342789244
Z18 = 2 * WORLD / (256 * 2**18)  # metres per pixel at zoom 18 (0.597)
# A tile of zoom 18 near 6.05 E 52.61 N, and the square of 4 x 4 tiles from it.
TILE_X, TILE_Y = 135_474, 85_860


def tile_origin(x: int, y: int, z: int = 18) -> tuple[float, float]:
    span = 2 * WORLD / 2**z
    return (-WORLD + x * span, WORLD - y * span)


def write_ortho(path: Path, *, tiles: int = 4, seed: int = 1) -> Path:
    n = 256 * tiles
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n].astype("float32")
    fields = ((xx // 300 + yy // 220) % 4).astype("float32")
    base = np.stack([
        90 + 30 * fields + 20 * np.sin(xx / 37.0),
        110 + 25 * fields + 20 * np.cos(yy / 29.0),
        60 + 15 * fields + 10 * np.sin((xx + yy) / 51.0),
    ])  # fmt: skip
    rgb = np.clip(base + rng.normal(0, 3, base.shape), 1, 255).astype("uint8")
    ulx, uly = tile_origin(TILE_X, TILE_Y)
    profile = {"driver": "GTiff", "width": n, "height": n, "count": 3, "dtype": "uint8",
               "crs": "EPSG:3857", "transform": from_origin(ulx, uly, Z18, Z18),
               "photometric": "RGB"}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(rgb)
        with mem.open() as src:
            rasterio.shutil.copy(src, path, driver="COG", COMPRESS="DEFLATE",
                                 OVERVIEW_RESAMPLING="AVERAGE")  # fmt: skip
    return path


def independent_read(
    path: Path, bounds: tuple[float, float, float, float], size: int
) -> np.ndarray:
    """The source's pixels over the bounds at size x size in EPSG:3857: GDAL's warper on
    the full-resolution band (no overview, no window logic), bilinear."""
    with rasterio.open(path) as src:
        data = src.read()
        out = np.zeros((3, size, size), dtype="uint8")
        reproject(data, out, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=from_bounds(*bounds, size, size), dst_crs="EPSG:3857",
                  resampling=Resampling.bilinear)  # fmt: skip
    return out
