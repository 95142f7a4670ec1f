"""Write a background image: a georeferenced RGB GeoTIFF (EPSG:3857, its geotransform, tags
naming the source and its attribution) or a PNG, the parcel's outline drawn on it if asked.
Written under a temporary name and renamed: a reader never sees half a file."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image, ImageDraw
from rasterio.transform import from_bounds

from background.imagery import WEB_MERCATOR

OUTLINE_RGB = (255, 255, 0)


def _atomic_write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def geotiff_bytes(
    rgb: np.ndarray, bounds: tuple[float, float, float, float], tags: dict[str, str]
) -> bytes:
    size = rgb.shape[1]
    profile = {
        "driver": "GTiff",
        "width": rgb.shape[2],
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": WEB_MERCATOR,
        "transform": from_bounds(*bounds, rgb.shape[2], size),
        "compress": "deflate",
        "zlevel": 1,  # a few % larger than level 6 at a fifth of the time
        "photometric": "RGB",
    }
    with rasterio.MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(rgb)
            dst.update_tags(**tags)
        return bytes(memfile.read())


def png_bytes(rgb: np.ndarray, outline: Sequence[Sequence[tuple[float, float]]] = ()) -> bytes:
    """The image as PNG; `outline`: rings in pixel coordinates, drawn 2 px wide."""
    image = Image.fromarray(np.moveaxis(rgb, 0, -1), mode="RGB")
    if outline:
        draw = ImageDraw.Draw(image)
        for ring in outline:
            if len(ring) >= 2:
                draw.line([*ring, ring[0]], fill=OUTLINE_RGB, width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def rgba_png_bytes(rgb: np.ndarray, mask: np.ndarray) -> bytes:
    """A map tile: transparent where the source has no data."""
    rgba = np.concatenate([rgb, mask[None]], axis=0)
    out = io.BytesIO()
    Image.fromarray(np.moveaxis(rgba, 0, -1), mode="RGBA").save(out, format="PNG")
    return out.getvalue()


def write_file(path: Path, data: bytes) -> int:
    return _atomic_write(path, data)


def to_pixels(
    rings: Sequence[Sequence[tuple[float, float]]],
    bounds: tuple[float, float, float, float],
    size: int,
) -> list[list[tuple[float, float]]]:
    """Rings in EPSG:3857 metres to the image's pixel coordinates."""
    minx, miny, maxx, maxy = bounds
    sx, sy = size / (maxx - minx), size / (maxy - miny)
    return [[((x - minx) * sx, (maxy - y) * sy) for x, y in ring] for ring in rings]
