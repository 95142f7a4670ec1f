"""The MGRS 100 km square of a tile id and the Sentinel-2 tile grid laid on it.

MGRS letters: eastings use column sets A-H, J-R, S-Z by zone (zone mod 3), northings the 20
row letters A-V (no I, O) repeating every 2000 km, shifted by 5 letters in even zones. The
latitude band letter picks which 2000 km cycle the row letter means.

Sentinel-2 tiles (109.8 km) start at the square's north-west corner, snapped outward onto a
60 m lattice (counted from the false easting/northing origin) so that the 10, 20 and 60 m
grids share the corner: that is why real tiles start at x = 99960, 499980 or 600000. The
real MTD_TL.xml files in the fixtures prove it (demo/tests/test_demo_archive.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyproj import Transformer

from chips.raster.bands import tile_epsg

TILE_SIZE_M = 109_800
SQUARE_M = 100_000
LATTICE_M = 60
LAT_BANDS = "CDEFGHJKLMNPQRSTUVWX"
COLUMN_SETS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
SOUTH_FALSE_NORTHING = 10_000_000


@dataclass(frozen=True)
class TileGrid:
    """A Sentinel-2 tile: its UTM CRS and the upper-left corner of its pixel grids."""

    tile: str
    epsg: int
    ulx: int
    uly: int

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """(west, south, east, north) in the tile CRS."""
        return (self.ulx, self.uly - TILE_SIZE_M, self.ulx + TILE_SIZE_M, self.uly)

    @property
    def zone(self) -> int:
        return int(self.tile[:2])


def square_origin(tile: str) -> tuple[int, int, int]:
    """(epsg, west, south) of the MGRS 100 km square named by a tile id like 31UFU."""
    zone, band, col, row = int(tile[:2]), tile[2].upper(), tile[3].upper(), tile[4].upper()
    if not 1 <= zone <= 60 or band not in LAT_BANDS:
        raise ValueError(f"not an MGRS tile id: {tile!r}")
    columns = COLUMN_SETS[(zone - 1) % 3]
    if col not in columns or row not in ROW_LETTERS:
        raise ValueError(f"not an MGRS tile id: {tile!r}")
    west = (columns.index(col) + 1) * SQUARE_M
    row_shift = 0 if zone % 2 else 5
    north_in_cycle = ((ROW_LETTERS.index(row) - row_shift) % 20) * SQUARE_M
    epsg = tile_epsg(tile)
    # The band's middle latitude on the zone's central meridian gives its northing; the
    # 2000 km cycle whose square lies nearest to it is the one the band letter means.
    lat_south = -80 + 8 * LAT_BANDS.index(band)
    lat_mid = lat_south + (6 if band == "X" else 4)
    central_meridian = -183 + 6 * zone
    to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
    _, band_northing = to_utm.transform(central_meridian, lat_mid)
    cycles = round((band_northing - north_in_cycle - SQUARE_M / 2) / 2_000_000)
    south = north_in_cycle + cycles * 2_000_000
    return epsg, west, south


def tile_grid(tile: str) -> TileGrid:
    """The tile's CRS and grid corner, as MTD_TL.xml Geoposition ULX/ULY states them."""
    epsg, west, south = square_origin(tile)
    north = south + SQUARE_M
    ulx = math.floor(west / LATTICE_M) * LATTICE_M
    if epsg < 32700:
        uly = math.ceil(north / LATTICE_M) * LATTICE_M
    else:
        # South: the lattice counts from the false northing, 10 000 km at the equator.
        uly = (
            SOUTH_FALSE_NORTHING
            - math.floor((SOUTH_FALSE_NORTHING - north) / LATTICE_M) * LATTICE_M
        )
    return TileGrid(tile=tile.upper(), epsg=epsg, ulx=ulx, uly=uly)
