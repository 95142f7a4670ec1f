"""Small Sentinel-2-like band files, and the source pixels a chip must equal (no Django).

Rasters are written with rasterio (tiled DEFLATE GeoTIFF, or lossless 15-bit JPEG 2000 as
in the archive), nodata 0, on a north-up grid from an upper-left corner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine


def band_values(seed: int, shape: tuple[int, int], dtype: str = "uint16") -> np.ndarray:
    """Distinct-looking non-zero values, so a shifted window can never match by luck."""
    rng = np.random.default_rng(seed)
    if dtype == "uint8":
        return rng.integers(1, 12, size=shape, dtype=np.uint8)
    return rng.integers(1, 10000, size=shape, dtype=np.uint16)


def write_band(
    path: Path,
    data: np.ndarray,
    *,
    epsg: int,
    ulx: float,
    uly: float,
    res: float,
    driver: str = "GTiff",
    block: int = 256,
) -> Path:
    """One band file of `data` with its upper-left corner at (ulx, uly) in EPSG:`epsg`."""
    profile: dict[str, Any] = {
        "driver": driver,
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": f"EPSG:{epsg}",
        "transform": Affine(res, 0, ulx, 0, -res, uly),
        "nodata": 0,
    }
    if driver == "JP2OpenJPEG":
        # Lossless 15-bit as in the archive; rasterio 1.4 wants lowercase block sizes here.
        profile.update(quality=100, reversible="YES", blockxsize=block, blockysize=block)
        if data.dtype == np.uint16:
            profile["nbits"] = 15
    else:
        profile.update(compress="DEFLATE", tiled=True, blockxsize=block, blockysize=block)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def expected_window(path: Path, x: float, y: float, chipsize: float) -> np.ndarray:
    """The source pixels of the chip around (x, y), computed independently of the code
    under test: rowcol of the chip's upper-left corner, read with rasterio (boundless,
    filled with 0 where the chip leaves the raster)."""
    from rasterio.transform import rowcol
    from rasterio.windows import Window

    with rasterio.open(path) as src:
        res = src.res[0]
        n = round(chipsize / res)
        # The upper-left pixel: the one holding the point half a chip up-left of the centre,
        # moved by half a pixel so that the chip's centre is the nearest grid line/centre.
        row, col = rowcol(src.transform, x - (n / 2) * res + res / 2, y + (n / 2) * res - res / 2)
        return src.read(1, window=Window(col, row, n, n), boundless=True, fill_value=0)
