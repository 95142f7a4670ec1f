"""3-band PNG composites of chips (no Django): resample, stretch, mask nodata, draw the parcel.

Plain values in, `(bytes, media_type)` out, like titiler's `render_image`. The first band's
grid is the output grid (a 1280 m chip is 128 px at 10 m, 64 px at 20 m); the other two are
resampled onto it with GDAL (bilinear for reflectance, nearest for classes such as SCL).
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from affine import Affine
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo
from rasterio.warp import Resampling, reproject
from shapely.geometry.base import BaseGeometry

from chips.raster.bands import SCL_CLOUDY

PNG_MEDIA_TYPE = "image/png"
# Bands holding class codes: interpolating them would invent classes, so they use nearest.
CLASS_BANDS = frozenset({"SCL"})
# The parcel outline: yellow shows on green fields, bare soil, water and white cloud alike.
OUTLINE_RGBA = (255, 255, 0, 255)

Ring = Sequence[tuple[float, float]]
# How Pillow encodes the PNG: zlib's run-length strategy. Measured on 24 composites of the
# demo archive (bench/composites.py, docs/benchmarks-composites.md): 1.3 ms per 128 px PNG
# against 5.3 ms for Pillow's default (level 6, filtered strategy), and 1 % smaller; level 1
# is as fast but 12 % larger. Lossless either way: the pixels are the same.
PNG_SAVE_OPTIONS = {"compress_level": 6, "compress_type": zlib.Z_RLE}


@dataclass(frozen=True)
class Lut:
    """How band values map to 0..255.

    `percentile`: one (lo, hi) pair of percentiles (0 <= lo < hi <= 100) of the pixels valid
    in all three bands, computed per band. `absolute`: one (lo, hi) pair of band values (DN)
    per band.
    """

    kind: Literal["percentile", "absolute"]
    ranges: tuple[tuple[float, float], ...]

    @classmethod
    def percentile(cls, lo: float, hi: float) -> Lut:
        return cls("percentile", ((lo, hi),))

    @classmethod
    def absolute(cls, ranges: Sequence[tuple[float, float]]) -> Lut:
        return cls("absolute", tuple((float(lo), float(hi)) for lo, hi in ranges))

    def to_param(self) -> str:
        """The `lut` query value that parses back to this Lut (`5_95`, `0_3000_0_3000_0_3000`)."""
        return "_".join(_number_text(v) for pair in self.ranges for v in pair)


@dataclass(frozen=True)
class BandArray:
    """One band of a chip: its pixels on its own grid (same CRS for all three bands)."""

    name: str
    data: np.ndarray
    transform: Affine
    nodata: float | None = 0


def render_composite(
    *,
    bands: Sequence[BandArray],
    crs: str | int | object,
    lut: Lut,
    outline: BaseGeometry | Iterable[Ring] | None = None,
    text: Mapping[str, str] | None = None,
    digits: int = 0,
) -> tuple[bytes, str]:
    """An RGBA PNG of three bands on the first band's grid; alpha 0 where any band is nodata.

    `crs` is the chip's CRS (all bands share it; reproject needs it named). `outline` is a
    polygon (or rings of (x, y)) in that CRS, drawn 1 px wide on top. `text` goes into PNG
    tEXt chunks (e.g. the chip's cloud share), so the file carries its own facts.
    """
    rgba, limits = stretched_rgba(bands=bands, crs=crs, lut=lut)
    image = Image.fromarray(rgba, mode="RGBA")
    if outline is not None:
        draw_outline(image, outline, transform=bands[0].transform)
    info = PngInfo()
    # The band values that map to 0 and 255, per band: what a legend shows for this chip.
    info.add_text("stretch", stretch_text(bands, limits, digits=digits))
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, **PNG_SAVE_OPTIONS)
    return buffer.getvalue(), PNG_MEDIA_TYPE


def stretched_rgba(
    *, bands: Sequence[BandArray], crs: str | int | object, lut: Lut
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The (rows, cols, 4) uint8 array behind `render_composite` (without the outline), and
    the (lo, hi) band values each band was stretched between."""
    if len(bands) != 3:
        raise ValueError(f"a composite needs 3 bands, got {len(bands)}")
    if lut.kind == "absolute" and len(lut.ranges) != 3:
        raise ValueError("an absolute lut needs one (lo, hi) pair per band")
    first = bands[0]
    shape = first.data.shape
    layers = [_as_float(first)] + [
        resample_to(band, shape=shape, transform=first.transform, crs=crs) for band in bands[1:]
    ]
    valid = np.logical_and.reduce([~np.isnan(layer) for layer in layers])
    rgba = np.zeros((*shape, 4), dtype=np.uint8)
    limits = []
    for i, layer in enumerate(layers):
        lo, hi = band_limits(layer[valid], lut=lut, index=i)
        limits.append((lo, hi))
        rgba[..., i] = np.where(valid, stretch(layer, lo=lo, hi=hi), 0)
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba, limits


def stretch_text(
    bands: Sequence[BandArray], limits: Sequence[tuple[float, float]], *, digits: int = 0
) -> str:
    """`B08:812-4410 B04:...`: each band's name and the values stretched to 0 and 255
    (`digits` after the point: Sentinel-1 dB and coherence need them)."""
    return " ".join(
        f"{b.name}:{lo:.{digits}f}-{hi:.{digits}f}"
        for b, (lo, hi) in zip(bands, limits, strict=True)
    )


def resample_to(
    band: BandArray, *, shape: tuple[int, ...], transform: Affine, crs: str | int | object
) -> np.ndarray:
    """`band` on the given grid as float32, NaN where it has no data."""
    source = _as_float(band)
    if source.shape == tuple(shape) and band.transform == transform:
        return source
    target = np.full(shape, np.nan, dtype=np.float32)
    method = Resampling.nearest if band.name in CLASS_BANDS else Resampling.bilinear
    reproject(
        source,
        target,
        src_transform=band.transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=transform,
        dst_crs=crs,
        dst_nodata=np.nan,
        resampling=method,
    )
    return target


def band_limits(values: np.ndarray, *, lut: Lut, index: int) -> tuple[float, float]:
    """The band values that map to 0 and 255: percentiles of `values`, or the lut's own."""
    if lut.kind == "absolute":
        return lut.ranges[index]
    if values.size == 0:
        return 0.0, 1.0  # nothing valid: every pixel is transparent anyway
    lo_pct, hi_pct = lut.ranges[0]
    lo, hi = np.percentile(values, [lo_pct, hi_pct])
    return float(lo), float(hi)


def stretch(values: np.ndarray, *, lo: float, hi: float) -> np.ndarray:
    """Linear stretch of [lo, hi] to 0..255, clipped and rounded (NaN gives 0).

    A flat band (lo == hi, e.g. a chip all under one cloud) maps to 255 above the value and
    0 at or below it, rather than dividing by zero.
    """
    with np.errstate(invalid="ignore"):
        if hi > lo:
            scaled = (values - lo) * (255.0 / (hi - lo))
        else:
            scaled = np.where(values > lo, 255.0, 0.0)
        out = np.rint(np.clip(scaled, 0.0, 255.0))
    return np.nan_to_num(out, nan=0.0).astype(np.uint8)


def draw_outline(
    image: Image.Image, outline: BaseGeometry | Iterable[Ring], *, transform: Affine
) -> None:
    """Draw each ring 1 px wide, mapping CRS coordinates to pixels through ~transform."""
    to_pixel = ~transform
    draw = ImageDraw.Draw(image)
    for ring in outline_rings(outline):
        # The pixel holding a point is floor() of its continuous pixel coordinate.
        points = [
            (math.floor(px), math.floor(py)) for px, py in (to_pixel @ (x, y) for x, y in ring)
        ]
        if len(points) >= 2:
            draw.line(points, fill=OUTLINE_RGBA, width=1)


def outline_rings(outline: BaseGeometry | Iterable[Ring]) -> list[list[tuple[float, float]]]:
    """Every ring (exterior and holes) of a (multi)polygon or line, or the rings as given."""
    # shapely.Geometry, the base of every shapely geometry: types-shapely's BaseGeometry
    # (its __new__ returns a GeometryCollection) does not narrow the union in mypy.
    if not isinstance(outline, shapely.Geometry):
        return [[(float(x), float(y)) for x, y, *_ in ring] for ring in outline]
    rings: list[list[tuple[float, float]]] = []
    parts = getattr(outline, "geoms", [outline])
    for part in parts:
        if part.geom_type == "Polygon":
            for ring in (part.exterior, *part.interiors):
                rings.append([(x, y) for x, y, *_ in ring.coords])
        elif part.geom_type in ("LineString", "LinearRing"):
            rings.append([(x, y) for x, y, *_ in part.coords])
        elif hasattr(part, "geoms"):  # a collection inside a collection
            rings.extend(outline_rings(part))
    return rings


def cloud_share(scl: np.ndarray, *, nodata: int = 0) -> float | None:
    """Share (0..1) of valid SCL pixels in the CbM cloud mask (3, 8, 9, 10, 11); None if none
    is valid."""
    valid = scl != nodata
    count = int(np.count_nonzero(valid))
    if count == 0:
        return None
    cloudy = np.isin(scl[valid], list(SCL_CLOUDY))
    return float(np.count_nonzero(cloudy)) / count


def _as_float(band: BandArray) -> np.ndarray:
    data = np.asarray(band.data)
    if data.ndim != 2:
        raise ValueError(f"band {band.name} must be 2-D, got shape {data.shape}")
    out = data.astype(np.float32, copy=True)
    if band.nodata is not None:
        if isinstance(band.nodata, float) and math.isnan(band.nodata):
            return out
        out[data == band.nodata] = np.nan
    return out


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
