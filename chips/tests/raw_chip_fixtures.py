"""Tiny Sentinel-2-like band files and catalogue rows for the raw chip tests.

Rasters are written with rasterio in the test's tmp_path (GeoTIFF or lossless JPEG 2000),
on grids like the real ones (upper-left corner on a multiple of 60 m); Scene and Asset rows
point at them directly.
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
) -> Path:
    profile = {
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
        profile.update(quality=100, reversible="YES", blockxsize=256, blockysize=256)
        if data.dtype == np.uint16:
            profile["nbits"] = 15
    else:
        profile.update(compress="DEFLATE", tiled=True, blockxsize=256, blockysize=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def footprint_of(epsg: int, left: float, bottom: float, right: float, top: float) -> MultiPolygon:
    """A UTM rectangle as a lon/lat MultiPolygon (edges densified)."""
    t = Transformer.from_crs(epsg, 4326, always_xy=True)
    ring = []
    n = 10
    for i in range(n):
        ring.append((left + (right - left) * i / n, bottom))
    for i in range(n):
        ring.append((right, bottom + (top - bottom) * i / n))
    for i in range(n):
        ring.append((right - (right - left) * i / n, top))
    for i in range(n):
        ring.append((left, top - (top - bottom) * i / n))
    xs, ys = t.transform([p[0] for p in ring], [p[1] for p in ring])
    pts = list(zip(xs, ys, strict=True))
    return MultiPolygon(Polygon(pts + pts[:1]), srid=4326)


def product_id(
    *,
    tile: str,
    sensing: dt.datetime,
    orbit: int = 51,
    baseline: str = "05.09",
    generated: dt.datetime | None = None,
    mission: str = "S2A",
    level: str = "L2A",
) -> str:
    gen = generated or sensing + dt.timedelta(hours=2)
    return (
        f"{mission}_MSI{level}_{sensing:%Y%m%dT%H%M%S}_N{baseline.replace('.', '')}_R{orbit:03d}"
        f"_T{tile}_{gen:%Y%m%dT%H%M%S}"
    )


def make_scene(
    *,
    tile: str,
    epsg: int,
    sensing: dt.datetime,
    footprint: MultiPolygon,
    bands: dict[str, tuple[Path, int]],
    orbit: int = 51,
    baseline: str = "05.09",
    generated: dt.datetime | None = None,
    mission: str = "S2A",
    level: str = "LEVEL2A",
    offset: int = -1000,
    source_format: str = "stac",
) -> Scene:
    gen = generated or sensing + dt.timedelta(hours=2)
    scene = Scene.objects.create(
        product_id=product_id(
            tile=tile,
            sensing=sensing,
            orbit=orbit,
            baseline=baseline,
            generated=gen,
            mission=mission,
            level=level[-3:],
        ),
        mission=mission,
        level=level,
        tile=tile,
        relative_orbit=orbit,
        sensing_time=sensing,
        processing_baseline=baseline,
        generation_time=gen,
        cloud_cover=1.0,
        footprint=footprint,
        epsg=epsg,
        radiometric_offset=offset,
        source_format=source_format,
        source_href=str(next(iter(bands.values()))[0].parent),
    )
    for band, (path, res) in bands.items():
        Asset.objects.create(scene=scene, band=band, resolution=res, href=str(path))
    return scene


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


# --- a small archive: two overlapping zone-31 tiles, and a pair across the 31/32 border ---

UTC = dt.UTC
T1 = dt.datetime(2024, 6, 1, 10, 40, 31, tzinfo=UTC)  # datatake over tiles A and B
T2 = dt.datetime(2024, 6, 4, 10, 50, 31, tzinfo=UTC)  # another orbit, tile A only (JP2)
T3 = dt.datetime(2024, 6, 6, 10, 40, 21, tzinfo=UTC)  # tile A, processed twice
TZ31 = dt.datetime(2024, 7, 1, 10, 40, 31, tzinfo=UTC)  # zone border, zone 31 tile
TZ32 = dt.datetime(2024, 7, 3, 10, 30, 31, tzinfo=UTC)  # zone border, zone 32 tile

# Tile grids (upper-left corners on multiples of 60 m, as real tiles), 6 km squares.
TILES = {
    "31UFT": (32631, 600000.0, 5800020.0),
    "31UFU": (32631, 603000.0, 5803020.0),
    "31UGT": (32631, 700020.0, 5780040.0),
    "32ULC": (32632, 290040.0, 5780040.0),
}
SIDE_M = 6000.0
# A point in the A/B overlap (both cover a 1280 m chip fully) ...
P_OVERLAP_UTM31 = (604000.0, 5798500.0)
# ... one where B covers only part of the chip (x >= 603000 of 602660..603940) ...
P_EDGE_UTM31 = (603300.0, 5798500.0)
# ... and one 0.005 degree west of the 31/32 zone border.
P_BORDER_LONLAT = (5.995, 52.1)


def to_lonlat(epsg: int, x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs(epsg, 4326, always_xy=True).transform(x, y)


def write_tile_bands(root: Path, tile: str, seed: int, driver: str = "GTiff") -> dict:
    """B04 (10 m) and SCL (20 m) files of a tile; returns {band: (path, res)}."""
    epsg, ulx, uly = TILES[tile]
    ext = "jp2" if driver == "JP2OpenJPEG" else "tif"
    n10, n20 = int(SIDE_M / 10), int(SIDE_M / 20)
    folder = root / f"{tile}-{seed}"
    b04 = folder / f"B04.{ext}"
    scl = folder / f"SCL.{ext}"
    if not b04.exists():
        write_band(b04, band_values(seed, (n10, n10)), epsg=epsg, ulx=ulx, uly=uly, res=10,
                   driver=driver)  # fmt: skip
        write_band(scl, band_values(seed + 1000, (n20, n20), "uint8"), epsg=epsg, ulx=ulx,
                   uly=uly, res=20, driver=driver)  # fmt: skip
    return {"B04": (b04, 10), "SCL": (scl, 20)}


def tile_footprint(tile: str) -> MultiPolygon:
    epsg, ulx, uly = TILES[tile]
    return footprint_of(epsg, ulx, uly - SIDE_M, ulx + SIDE_M, uly)


def build_archive(root: Path) -> dict[str, Scene]:
    """Catalogue rows (and files under root) for the scenes above, by a short name."""
    s = {}
    s["A1"] = make_scene(tile="31UFT", epsg=32631, sensing=T1, footprint=tile_footprint("31UFT"),
                         bands=write_tile_bands(root, "31UFT", 1), baseline="05.09")  # fmt: skip
    s["B1"] = make_scene(tile="31UFU", epsg=32631, sensing=T1, footprint=tile_footprint("31UFU"),
                         bands=write_tile_bands(root, "31UFU", 2), baseline="05.10")  # fmt: skip
    s["A2"] = make_scene(tile="31UFT", epsg=32631, sensing=T2, footprint=tile_footprint("31UFT"),
                         bands=write_tile_bands(root, "31UFT", 3, "JP2OpenJPEG"), orbit=108,
                         source_format="safe", mission="S2B")  # fmt: skip
    s["A3old"] = make_scene(tile="31UFT", epsg=32631, sensing=T3,
                            footprint=tile_footprint("31UFT"),
                            bands=write_tile_bands(root, "31UFT", 4), baseline="05.09")  # fmt: skip
    s["A3new"] = make_scene(tile="31UFT", epsg=32631, sensing=T3,
                            footprint=tile_footprint("31UFT"),
                            bands=write_tile_bands(root, "31UFT", 5), baseline="05.11")  # fmt: skip
    s["Z31"] = make_scene(tile="31UGT", epsg=32631, sensing=TZ31, footprint=tile_footprint("31UGT"),
                          bands=write_tile_bands(root, "31UGT", 6), orbit=8)  # fmt: skip
    s["Z32"] = make_scene(tile="32ULC", epsg=32632, sensing=TZ32, footprint=tile_footprint("32ULC"),
                          bands=write_tile_bands(root, "32ULC", 7), orbit=65)  # fmt: skip
    return s


def asset_path(scene: Scene, band: str) -> Path:
    return Path(scene.assets.get(band=band).href)
