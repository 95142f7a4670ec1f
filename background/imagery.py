"""Read a background image (RGB, EPSG:3857, a square of `size` px over given bounds) from a
source through GDAL: its WMS driver for XYZ tiles and WMS GetMap, its WMTS driver, or a COG /
VRT file. Plain Python on rasterio (no Django): background.flow gives it a SourceSpec.

Each source gets GDAL's HTTP timeout and retries, and its own on-disk tile cache (the WMS
driver's <Cache>), so a second image over the same tiles fetches nothing. The read itself
runs under a deadline in background.fetch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.transform import from_bounds as from_bounds_transform
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

# EPSG:3857's square, metres: the world at zoom 0 is one 256 px tile of it.
WORLD = 20037508.342789244
TILE = 256
WEB_MERCATOR = "EPSG:3857"


class SourceReadError(Exception):
    """The source failed to answer (HTTP error, timeout, unreadable file)."""


@dataclass(frozen=True)
class SourceSpec:
    """What imagery needs of a background source (background.models.BackgroundSource)."""

    key: str
    kind: str
    url: str
    layer: str = ""
    style: str = ""
    tile_matrix_set: str = ""
    image_format: str = "image/png"
    max_zoom: int = 19
    timeout: float = 10.0
    retries: int = 1
    cache_dir: Path | None = None


def _cache_xml(spec: SourceSpec) -> str:
    if spec.cache_dir is None:
        return ""
    return f"<Cache><Path>{escape(str(spec.cache_dir))}</Path></Cache>"


def _window_xml(spec: SourceSpec, *, tiled: bool) -> str:
    size = TILE * 2**spec.max_zoom
    level = (
        f"<TileLevel>{spec.max_zoom}</TileLevel><TileCountX>1</TileCountX>"
        "<TileCountY>1</TileCountY><YOrigin>top</YOrigin>"
        if tiled
        else f"<SizeX>{size}</SizeX><SizeY>{size}</SizeY>"
    )
    return (
        f"<DataWindow><UpperLeftX>{-WORLD}</UpperLeftX><UpperLeftY>{WORLD}</UpperLeftY>"
        f"<LowerRightX>{WORLD}</LowerRightX><LowerRightY>{-WORLD}</LowerRightY>{level}"
        "</DataWindow>"
    )


def _common_xml(spec: SourceSpec) -> str:
    # 204/404 tiles are holes of the service, not faults: they read as empty (black).
    return (
        f"<Projection>{WEB_MERCATOR}</Projection><BlockSizeX>{TILE}</BlockSizeX>"
        f"<BlockSizeY>{TILE}</BlockSizeY><BandsCount>3</BandsCount>"
        f"<Timeout>{max(1, math.ceil(spec.timeout))}</Timeout>"
        "<ZeroBlockHttpCodes>204,404</ZeroBlockHttpCodes>"
        f"{_cache_xml(spec)}"
    )


def dataset_name(spec: SourceSpec) -> str:
    """What rasterio.open takes for the source: a GDAL WMS XML, a WMTS: string or a path."""
    if spec.kind == "xyz":
        url = spec.url.replace("{z}", "${z}").replace("{x}", "${x}").replace("{y}", "${y}")
        return (
            f'<GDAL_WMS><Service name="TMS"><ServerUrl>{escape(url)}</ServerUrl></Service>'
            f"{_window_xml(spec, tiled=True)}{_common_xml(spec)}</GDAL_WMS>"
        )
    if spec.kind == "wms":
        return (
            '<GDAL_WMS><Service name="WMS"><Version>1.1.1</Version>'
            f"<ServerUrl>{escape(spec.url)}</ServerUrl><SRS>{WEB_MERCATOR}</SRS>"
            f"<ImageFormat>{escape(spec.image_format)}</ImageFormat>"
            f"<Layers>{escape(spec.layer)}</Layers><Styles>{escape(spec.style)}</Styles>"
            f"</Service>{_window_xml(spec, tiled=False)}{_common_xml(spec)}</GDAL_WMS>"
        )
    if spec.kind == "wmts":
        options = [f"layer={spec.layer}"] if spec.layer else []
        if spec.tile_matrix_set:
            options.append(f"tilematrixset={spec.tile_matrix_set}")
        if spec.style:
            options.append(f"style={spec.style}")
        # The finest level read: the set's levels beyond it are not asked for.
        options.append(f"zoom_level={spec.max_zoom}")
        return ",".join([f"WMTS:{spec.url}", *options])
    if spec.url.startswith(("http://", "https://")):
        return f"/vsicurl/{spec.url}"
    return spec.url


def gdal_options(spec: SourceSpec) -> dict[str, Any]:
    """GDAL's HTTP settings for this source (curl under the WMS/WMTS drivers, /vsicurl/)."""
    options: dict[str, Any] = {
        "GDAL_HTTP_TIMEOUT": max(1, math.ceil(spec.timeout)),
        "GDAL_HTTP_CONNECTTIMEOUT": max(1, math.ceil(min(spec.timeout, 5.0))),
        "GDAL_HTTP_MAX_RETRY": spec.retries,
        "GDAL_HTTP_RETRY_DELAY": 0.5,
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.vrt,.TIF",
    }
    if spec.cache_dir is not None:  # the WMTS driver's own WMS dataset caches here
        options["GDAL_DEFAULT_WMS_CACHE_PATH"] = str(spec.cache_dir)
    return options


def _paste_window(
    src: DatasetReader | WarpedVRT,
    bounds: tuple[float, float, float, float],
    size: int,
    indexes: list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """(bands, mask) of the bounds at size x size, from `src` (in EPSG:3857). The part of
    the square outside the source stays 0 and masked out; GDAL picks the overview."""
    out = np.zeros((len(indexes), size, size), dtype="uint8")
    mask = np.zeros((size, size), dtype="uint8")
    full = from_bounds(*bounds, transform=src.transform)
    clipped = (
        full.intersection(Window(0, 0, src.width, src.height)) if _overlaps(full, src) else None
    )
    if clipped is None or clipped.width <= 0 or clipped.height <= 0:
        return out, mask
    scale_x, scale_y = size / full.width, size / full.height
    c0 = round((clipped.col_off - full.col_off) * scale_x)
    r0 = round((clipped.row_off - full.row_off) * scale_y)
    c1 = min(size, round((clipped.col_off + clipped.width - full.col_off) * scale_x))
    r1 = min(size, round((clipped.row_off + clipped.height - full.row_off) * scale_y))
    if c1 <= c0 or r1 <= r0:
        return out, mask
    shape = (len(indexes), r1 - r0, c1 - c0)
    out[:, r0:r1, c0:c1] = src.read(
        indexes, window=clipped, out_shape=shape, resampling=Resampling.bilinear
    )
    if src.count >= 4 or src.nodata is not None or src.mask_flag_enums[0] != [1]:
        mask[r0:r1, c0:c1] = src.read_masks(
            1, window=clipped, out_shape=shape[1:], resampling=Resampling.nearest
        )
    else:
        mask[r0:r1, c0:c1] = 255
    return out, mask


def _overlaps(window: Window, src: DatasetReader | WarpedVRT) -> bool:
    return not (
        window.col_off >= src.width
        or window.row_off >= src.height
        or window.col_off + window.width <= 0
        or window.row_off + window.height <= 0
    )


def read_image(
    spec: SourceSpec, bounds: tuple[float, float, float, float], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 (3, size, size), mask uint8 (size, size): 255 where the source has data)."""
    try:
        with rasterio.Env(**gdal_options(spec)), rasterio.open(dataset_name(spec)) as src:
            if src.count < 3 and src.count != 1:
                raise SourceReadError(f"{src.count} bands: expected RGB (3 or 4) or grey (1)")
            indexes = [1, 2, 3] if src.count >= 3 else [1, 1, 1]
            if src.crs is not None and src.crs.to_epsg() == 3857:
                return _paste_window(src, bounds, size, indexes)
            level = _overview_level(src, bounds, size)
        if level is None:
            with rasterio.Env(**gdal_options(spec)), rasterio.open(dataset_name(spec)) as src:
                return _warp(src, bounds, size, indexes)
        with (
            rasterio.Env(**gdal_options(spec)),
            rasterio.open(dataset_name(spec), overview_level=level) as src,
        ):
            return _warp(src, bounds, size, indexes)
    except RasterioError as exc:
        raise SourceReadError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


def _overview_level(
    src: DatasetReader, bounds: tuple[float, float, float, float], size: int
) -> int | None:
    """The coarsest overview still at least as fine as the image (None: the full grid), as
    gdalwarp picks it: the warper itself reads the level it is given, whatever the scale."""
    factors = src.overviews(1)
    if not factors:
        return None
    west, south, east, north = transform_bounds(src.crs, WEB_MERCATOR, *src.bounds)
    native = (east - west) / src.width  # one source pixel, in EPSG:3857 metres
    wanted = (bounds[2] - bounds[0]) / size
    fitting = [i for i, f in enumerate(factors) if f * native <= wanted]
    return fitting[-1] if fitting else None


def _warp(
    src: DatasetReader, bounds: tuple[float, float, float, float], size: int, indexes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """A source in another CRS warped straight onto the image's grid: one pass, no
    intermediate grid; outside the source stays 0 and masked out."""
    transform = from_bounds_transform(*bounds, size, size)
    with WarpedVRT(src, crs=WEB_MERCATOR, transform=transform, width=size, height=size,
                   resampling=Resampling.bilinear) as vrt:  # fmt: skip
        rgb = vrt.read(indexes)
        mask = vrt.read_masks(1)
    return rgb, mask


def source_bounds(spec: SourceSpec) -> tuple[float, float, float, float] | None:
    """The source's extent in EPSG:3857 (files); None for services (the whole world)."""
    if spec.kind != "file":
        return None
    try:
        with rasterio.Env(**gdal_options(spec)), rasterio.open(dataset_name(spec)) as src:
            return transform_bounds(src.crs, WEB_MERCATOR, *src.bounds)
    except RasterioError as exc:
        raise SourceReadError(str(exc).splitlines()[0]) from exc


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """An XYZ tile's square in EPSG:3857 (y from the top)."""
    span = 2 * WORLD / 2**z
    minx = -WORLD + x * span
    maxy = WORLD - y * span
    return (minx, maxy - span, minx + span, maxy)
