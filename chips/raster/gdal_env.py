"""GDAL options for reading band files, in one place (no Django).

The options are those that make windowed reads of remote COGs cheap: no directory listing
on open (a SAFE or COG folder has no sidecar files worth an HTTP round trip), merged range
requests, a VSI read cache, and a block cache big enough to keep the tiles a request
decodes. Hrefs are mapped onto GDAL's virtual file systems here too.
"""

from __future__ import annotations

import contextlib
import os

import rasterio

GDAL_OPTIONS: dict[str, str | int | bool] = {
    # No READDIR on open: otherwise GDAL lists the folder (one more request on https/s3)
    # looking for .aux.xml/.ovr sidecars that Sentinel-2 archives never have.
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    # Adjacent byte ranges of a window (several tiles of one row) travel in one request.
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_VERSION": "2",
    # Keep the header and recently read ranges of remote files in memory.
    "VSI_CACHE": True,
    "VSI_CACHE_SIZE": 64 * 1024 * 1024,
    # Block cache, in bytes: rasterio hands an integer to GDALSetCacheMax64, so 512 meant
    # 512 bytes (no block kept, and rasterize went through the raster in one-line chunks:
    # 30x slower for 70,000 parcels). 256 MB holds 128 decoded JPEG 2000 tiles (1024 x
    # 1024 uint16, 2 MB each).
    "GDAL_CACHEMAX": 256 * 1024 * 1024,
    # OpenJPEG decodes the code blocks of a tile on several threads: all cores by default;
    # a machine running one worker process per core sets CHIP_DECODE_THREADS=1 so that the
    # processes do not fight over the cores.
    "GDAL_NUM_THREADS": os.environ.get("CHIP_DECODE_THREADS", "ALL_CPUS"),
    # Only GET what is asked; a HEAD request first costs a round trip per file.
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    # The CRS of a GeoTIFF (and of a JP2's GeoJP2 box) from its GeoKeys alone, without
    # looking the EPSG code up in PROJ's database: that look-up was a third of the cost
    # of opening a COG. Chips take their CRS from the catalogue's EPSG code anyway.
    "GTIFF_SRS_SOURCE": "GEOKEYS",
}


def raster_env(**overrides: str | int | bool) -> rasterio.Env:
    """The rasterio Env every read of a band file runs in (`overrides` replace options)."""
    return rasterio.Env(**{**GDAL_OPTIONS, **overrides})


# Band files that need the files beside them: ENVI rasters (the JRC's CARD-BS .img) keep
# their georeferencing in a sidecar .hdr, which GDAL finds only by looking in the folder.
SIDECAR_SUFFIXES = (".img",)


def sidecars(href: str) -> rasterio.Env | contextlib.nullcontext[None]:
    """An Env letting GDAL look beside `href` for its sidecar (nested in raster_env)."""
    if href.lower().endswith(SIDECAR_SUFFIXES) and "://" not in href:
        return rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="FALSE")
    return contextlib.nullcontext()


def gdal_path(href: str) -> str:
    """The name GDAL opens for an asset href: local paths as they are, https through
    /vsicurl/, s3 through /vsis3/ (credentials from the usual AWS_* environment)."""
    if href.startswith(("https://", "http://")):
        return f"/vsicurl/{href}"
    if href.startswith("s3://"):
        return f"/vsis3/{href[len('s3://') :]}"
    if href.startswith("file://"):
        return href[len("file://") :]
    return href
