"""A tiny catalogue for composite tests: L2A scenes of GeoTIFF bands written here.

Each scene is a 2.56 km square on the grid of tile 31UFU (EPSG:32631): B08 B04 B03 at 10 m
(256 px), B11 and SCL at 20 m (128 px), nodata 0, with known pixel values per scene.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from chips.models import Scene
from demo.generator.mgrs import tile_grid
from demo.generator.site import CropWindow
from testing.rasters import write_band
from testing.scenes import footprint_of, make_scene, product_id

TILE = "31UFU"
SQUARE = CropWindow(grid=tile_grid(TILE), ulx=600_000, uly=5_700_000, size=256)
EPSG = SQUARE.grid.epsg
X0, Y0 = SQUARE.ulx, SQUARE.uly
SIDE_M = SQUARE.size * 10
# The centre of the square, where the tests ask for chips.
CENTRE_XY = (X0 + SIDE_M / 2, Y0 - SIDE_M / 2)
BANDS_10M = ("B08", "B04", "B03")
BANDS_20M = ("B11", "SCL")
# Processing time of day of every scene (in its product id).
GENERATED_AT = dt.time(12, 13, 37)


def centre_lonlat() -> tuple[float, float]:
    lon, lat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(*CENTRE_XY)
    return lon, lat


def band_values(band: str, res: int, seed: int) -> np.ndarray:
    shape = SQUARE.shape(res)
    if band == "SCL":
        scl = np.full(shape, 4, dtype=np.uint8)
        scl[: shape[0] // 2, :] = 9  # the northern half under thick cloud
        return scl
    rng = np.random.default_rng(seed)
    return rng.integers(200, 6000, size=shape, dtype=np.uint16)


def make_scenes(folder: Path, count: int, *, first: dt.date = dt.date(2024, 5, 1)) -> list[Scene]:
    """`count` L2A scenes five days apart, with their band files under `folder`."""
    footprint = footprint_of(EPSG, *SQUARE.bounds)
    scenes = []
    for i in range(count):
        day = first + dt.timedelta(days=5 * i)
        sensing = dt.datetime.combine(day, dt.time(10, 50, 31), dt.UTC)
        facts: dict[str, Any] = {
            "tile": TILE,
            "sensing": sensing,
            "baseline": "05.10",
            "generated": dt.datetime.combine(day, GENERATED_AT, dt.UTC),
        }
        product = folder / product_id(**facts)
        bands: dict[str, tuple[Path, int]] = {}
        for b, band in enumerate(BANDS_10M + BANDS_20M):
            res = 10 if band in BANDS_10M else 20
            path = write_band(product / f"{band}.tif", band_values(band, res, seed=100 * i + b),
                              epsg=EPSG, ulx=X0, uly=Y0, res=res, block=128)  # fmt: skip
            bands[band] = (path, res)
        scene = make_scene(
            **facts, footprint=footprint, bands=bands, source_href=str(product / "item.json"),
            cloud_cover=None,
        )  # fmt: skip
        scenes.append(scene)
    return scenes
