"""The small archive of the raw chip tests: two overlapping zone-31 tiles (A and B), and a
pair across the 31/32 zone border, as tiny band files and their catalogue rows.

Each tile is a 6 km window of its real tile grid (demo.generator.mgrs.tile_grid), upper-left
corner on the grid's 60 m lattice as in real products: B04 at 10 m and SCL at 20 m,
GeoTIFF or lossless JPEG 2000, with values from a seed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import MultiPolygon

from chips.models import Scene
from demo.generator.mgrs import tile_grid
from demo.generator.site import CropWindow
from testing.rasters import band_values, write_band
from testing.scenes import footprint_of, make_scene

UTC = dt.UTC
T1 = dt.datetime(2024, 6, 1, 10, 40, 31, tzinfo=UTC)  # datatake over tiles A and B
T2 = dt.datetime(2024, 6, 4, 10, 50, 31, tzinfo=UTC)  # another orbit, tile A only (JP2)
T3 = dt.datetime(2024, 6, 6, 10, 40, 21, tzinfo=UTC)  # tile A, processed twice
TZ31 = dt.datetime(2024, 7, 1, 10, 40, 31, tzinfo=UTC)  # zone border, zone 31 tile
TZ32 = dt.datetime(2024, 7, 3, 10, 30, 31, tzinfo=UTC)  # zone border, zone 32 tile

SIDE_M = 6000.0
# Upper-left corners of the 6 km windows, in each tile's own UTM CRS.
CORNERS = {
    "31UFT": (600000, 5800020),
    "31UFU": (603000, 5803020),
    "31UGT": (700020, 5780040),
    "32ULC": (290040, 5780040),
}
# A point in the A/B overlap (both cover a 1280 m chip fully) ...
P_OVERLAP_UTM31 = (604000.0, 5798500.0)
# ... one where B covers only part of the chip (x >= 603000 of 602660..603940) ...
P_EDGE_UTM31 = (603300.0, 5798500.0)
# ... and one 0.005 degree west of the 31/32 zone border.
P_BORDER_LONLAT = (5.995, 52.1)


TIF, JP2 = "GTiff", "JP2OpenJPEG"
# name: tile, sensing, seed of the pixel values, file format, other facts (make_scene's).
SCENES: dict[str, tuple[str, dt.datetime, int, str, dict[str, Any]]] = {
    "A1": ("31UFT", T1, 1, TIF, {"baseline": "05.09"}),
    "B1": ("31UFU", T1, 2, TIF, {"baseline": "05.10"}),
    "A2": ("31UFT", T2, 3, JP2, {"orbit": 108, "source_format": "safe", "mission": "S2B"}),
    "A3old": ("31UFT", T3, 4, TIF, {"baseline": "05.09"}),
    "A3new": ("31UFT", T3, 5, TIF, {"baseline": "05.11"}),
    "Z31": ("31UGT", TZ31, 6, TIF, {"orbit": 8}),
    "Z32": ("32ULC", TZ32, 7, TIF, {"orbit": 65}),
}


def window(tile: str) -> CropWindow:
    """The tile's 6 km window: its grid, corner and 10 m size, as the demo archive crops."""
    ulx, uly = CORNERS[tile]
    return CropWindow(grid=tile_grid(tile), ulx=ulx, uly=uly, size=int(SIDE_M / 10))


def write_tile_bands(
    root: Path, tile: str, seed: int, driver: str = TIF
) -> dict[str, tuple[Path, int]]:
    """B04 (10 m) and SCL (20 m) files of a tile; returns {band: (path, res)}."""
    crop = window(tile)
    epsg, ulx, uly = crop.grid.epsg, crop.ulx, crop.uly
    ext = "jp2" if driver == JP2 else "tif"
    folder = root / f"{tile}-{seed}"
    b04 = folder / f"B04.{ext}"
    scl = folder / f"SCL.{ext}"
    if not b04.exists():
        write_band(b04, band_values(seed, crop.shape(10)), epsg=epsg, ulx=ulx, uly=uly, res=10,
                   driver=driver)  # fmt: skip
        write_band(scl, band_values(seed + 1000, crop.shape(20), "uint8"), epsg=epsg, ulx=ulx,
                   uly=uly, res=20, driver=driver)  # fmt: skip
    return {"B04": (b04, 10), "SCL": (scl, 20)}


def tile_footprint(tile: str) -> MultiPolygon:
    crop = window(tile)
    return footprint_of(crop.grid.epsg, *crop.bounds)


def build_archive(root: Path) -> dict[str, Scene]:
    """Catalogue rows (and files under root) for the scenes above, by a short name."""
    return {
        name: make_scene(
            tile=tile,
            sensing=sensing,
            footprint=tile_footprint(tile),
            bands=write_tile_bands(root, tile, seed, driver),
            **facts,
        )
        for name, (tile, sensing, seed, driver, facts) in SCENES.items()
    }
