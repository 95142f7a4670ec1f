"""A tiny catalogue for composite tests: L2A scenes of GeoTIFF bands written here.

Each scene is a 2.56 km square of tile 31UFU (EPSG:32631): B08 B04 B03 at 10 m (256 px),
B11 and SCL at 20 m (128 px), nodata 0, with known pixel values per scene.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from django.contrib.gis.geos import MultiPolygon, Polygon
from pyproj import Transformer

from chips.models import Asset, Scene

EPSG = 32631
X0, Y0 = 600_000.0, 5_700_000.0
SIDE_M = 2560
# The centre of the square, where the tests ask for chips.
CENTRE_XY = (X0 + SIDE_M / 2, Y0 - SIDE_M / 2)
BANDS_10M = ("B08", "B04", "B03")
BANDS_20M = ("B11", "SCL")


def centre_lonlat() -> tuple[float, float]:
    lon, lat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(*CENTRE_XY)
    return lon, lat


def band_values(band: str, res: int, seed: int) -> np.ndarray:
    n = SIDE_M // res
    if band == "SCL":
        scl = np.full((n, n), 4, dtype=np.uint8)
        scl[: n // 2, :] = 9  # the northern half under thick cloud
        return scl
    rng = np.random.default_rng(seed)
    return rng.integers(200, 6000, size=(n, n), dtype=np.uint16)


def write_band(path: Path, data: np.ndarray, res: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": f"EPSG:{EPSG}",
        "transform": Affine(res, 0, X0, 0, -res, Y0),
        "nodata": 0,
        "tiled": True,
        "blockxsize": 128,
        "blockysize": 128,
        "compress": "DEFLATE",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


def footprint() -> MultiPolygon:
    to_wgs = Transformer.from_crs(EPSG, 4326, always_xy=True).transform
    corners = [(X0, Y0), (X0 + SIDE_M, Y0), (X0 + SIDE_M, Y0 - SIDE_M), (X0, Y0 - SIDE_M)]
    ring = [to_wgs(x, y) for x, y in corners]
    return MultiPolygon(Polygon([*ring, ring[0]]), srid=4326)


def make_scenes(folder: Path, count: int, *, first: dt.date = dt.date(2024, 5, 1)) -> list[Scene]:
    """`count` L2A scenes five days apart, with their band files under `folder`."""
    scenes = []
    for i in range(count):
        sensing = dt.datetime.combine(first + dt.timedelta(days=5 * i), dt.time(10, 50, 31), dt.UTC)
        key = sensing.strftime("%Y%m%dT%H%M%S")
        product = f"S2A_MSIL2A_{key}_N0510_R051_T31UFU_{key[:8]}T121337"
        scene = Scene.objects.create(
            product_id=product,
            mission="S2A",
            level="LEVEL2A",
            tile="31UFU",
            relative_orbit=51,
            sensing_time=sensing,
            processing_baseline="05.10",
            footprint=footprint(),
            epsg=EPSG,
            radiometric_offset=-1000,
            source_format="stac",
            source_href=str(folder / product / "item.json"),
        )
        for b, band in enumerate(BANDS_10M + BANDS_20M):
            res = 10 if band in BANDS_10M else 20
            path = folder / product / f"{band}.tif"
            write_band(path, band_values(band, res, seed=100 * i + b), res)
            Asset.objects.create(scene=scene, band=band, resolution=res, href=str(path))
        scenes.append(scene)
    return scenes
