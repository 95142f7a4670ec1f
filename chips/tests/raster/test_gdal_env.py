"""The GDAL options every band read runs in take effect as meant."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from chips.raster.gdal_env import raster_env


def rasterio_gdal() -> ctypes.CDLL:
    """The GDAL library rasterio loaded (its wheel bundles one beside Debian's)."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "libgdal" in path and "rasterio" in path:
            lib = ctypes.CDLL(path)
            lib.GDALGetCacheMax64.restype = ctypes.c_int64
            return lib
    pytest.skip("rasterio's own libgdal is not loaded here (not the wheel's build)")


def test_block_cache_is_megabytes_not_bytes() -> None:
    # rasterio sets GDAL_CACHEMAX with GDALSetCacheMax64, in bytes: a value meant as MB
    # left GDAL a cache of a few hundred bytes.
    lib = rasterio_gdal()
    with raster_env():
        assert lib.GDALGetCacheMax64() >= 128 * 1024 * 1024
