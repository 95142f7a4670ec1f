"""ChipSpec: what a raw chip is, independent of who asked for it (no Django).

A spec names the scene, the band file, and the window on that file's own pixel grid; its
hash names the chip's file in the store, so two clients asking for the same chip share it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from affine import Affine

# Bumped when the bytes written for the same spec change (tags, compression, ...), so
# files cut by an older version are not mistaken for current ones.
SPEC_VERSION = "raw3"  # raw2: DEFLATE level 1; raw3: scale/offset, SCL class names


@dataclass(frozen=True)
class ChipSpec:
    """A raw chip: `size_x` x `size_y` pixels of `band` of scene `product_id`, starting at
    (`col_off`, `row_off`) on the band file's grid (whose affine is `grid`)."""

    product_id: str
    band: str
    href: str
    epsg: int
    grid: tuple[float, float, float, float, float, float]
    col_off: int
    row_off: int
    size_x: int
    size_y: int
    nodata: int = 0
    # Sentinel-1 (chips.raster.sar): the band in the file (a coherence file holds two) and
    # the source's nodata (None: NaN only); the chip is float32 with nodata NaN.
    sar: bool = False
    band_index: int = 1
    source_nodata: float | None = None
    # Tags written into the GeoTIFF (product, sensing time, ...): they follow from the
    # product and band, so they take no part in the identity of the chip.
    tags: tuple[tuple[str, str], ...] = field(default=(), compare=False, hash=False)

    @property
    def transform(self) -> Affine:
        """The chip's own affine: the file's grid moved to the window's corner."""
        return Affine(*self.grid) @ Affine.translation(self.col_off, self.row_off)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the scene's CRS."""
        t = self.transform
        x0, y0 = t @ (0, 0)
        x1, y1 = t @ (self.size_x, self.size_y)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    @property
    def file_name(self) -> str:
        """The name the API answers: <product>.<band>.tif (the CbM tools parse it);
        Sentinel-1 chips <product>_<polarisation>.tif (as the JRC's rawS1ChipsBatch)."""
        if self.sar:
            return f"{self.product_id}_{self.band}.tif"
        return f"{self.product_id}.{self.band}.tif"

    @cached_property
    def key(self) -> str:
        """Content address: the same product, band and snapped window give the same key.
        Computed once per spec (a request looks every key up several times)."""
        left, bottom, right, top = self.bounds
        ident = (
            f"{SPEC_VERSION}|{self.product_id}|{self.band}|{self.epsg}|"
            f"{left:.3f}|{bottom:.3f}|{right:.3f}|{top:.3f}|{self.size_x}|{self.size_y}"
        )
        return hashlib.sha256(ident.encode()).hexdigest()[:40]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, for a Celery message. Field by field: the values are
        str, int and tuples of them, which need no copy (asdict's deep copy cost 90 us a
        spec, 9 ms for a request of 24 composites)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChipSpec:
        values = dict(data)
        values["grid"] = tuple(values["grid"])
        values["tags"] = tuple(tuple(pair) for pair in values.get("tags", ()))
        return cls(**values)
