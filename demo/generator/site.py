"""Where the demo archive lies: three real tiles around the 31/32 UTM zone border in the
Netherlands (6 deg E near Zwolle), and the crop window of each tile.

31UFU and 31UGU (zone 31) overlap in a 9.8 km strip at x = 699960..709800; 32UKD (zone 32)
reaches over the zone border to the same ground. The shared area is a square of the demo
size in that strip; each tile keeps a size x size window of its own grid around it. The
31UFU window reaches a third of its width further west, where orbit R008's swath ends:
there that orbit's products have a nodata wedge (see `swath_edge`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from affine import Affine
from pyproj import Transformer

from demo.generator.mgrs import LATTICE_M, TileGrid, tile_grid

AOI = "nl"
NATIONAL_EPSG = 28992  # Amersfoort / RD New, the CRS of the Dutch parcel registry (BRP)
TILES = ("31UFU", "31UGU", "32UKD")
WEDGE_TILE = "31UFU"
RESOLUTIONS = (10, 20, 60)
# Shared-area centre, zone 31: 300 m east of 31UGU's west edge plus half the area.
_GROUND_EPSG = 32631
_STRIP_WEST = 699_960 + 300
_CENTRE_Y = 5_826_000
# The R008 swath edge, drawn in zone 31: it runs NNE-SSW like a descending track.
SWATH_EDGE_TILT_DEG = 10.0


@dataclass(frozen=True)
class CropWindow:
    """The part of a tile the demo keeps: `size` 10 m pixels from a corner on the 60 m lattice."""

    grid: TileGrid
    ulx: int
    uly: int
    size: int

    def shape(self, res: int) -> tuple[int, int]:
        """Rows and columns at a resolution; 60 m rounds up so it covers the 10 m area."""
        n = math.ceil(self.size * 10 / res)
        return n, n

    def transform(self, res: int) -> Affine:
        return Affine(res, 0.0, self.ulx, 0.0, -res, self.uly)

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """(west, south, east, north) of the 10 m area in the tile CRS."""
        side = self.size * 10
        return (self.ulx, self.uly - side, self.ulx + side, self.uly)


@dataclass(frozen=True)
class Site:
    size: int

    @property
    def side_m(self) -> int:
        return self.size * 10

    @cached_property
    def centre_zone31(self) -> tuple[float, float]:
        return (_STRIP_WEST + self.side_m / 2, float(_CENTRE_Y))

    def crop(self, tile: str) -> CropWindow:
        grid = tile_grid(tile)
        cx, cy = Transformer.from_crs(_GROUND_EPSG, grid.epsg, always_xy=True).transform(
            *self.centre_zone31
        )
        if tile == WEDGE_TILE:
            cx -= self.side_m / 3
        west, south, east, north = grid.bounds
        x0 = min(max(cx - self.side_m / 2, west), east - self.side_m)
        y0 = max(min(cy + self.side_m / 2, north), south + self.side_m)
        # Snap onto the tile's 60 m lattice (inward) so the 60 m grid shares the corner.
        ulx = grid.ulx + math.ceil((x0 - grid.ulx) / LATTICE_M) * LATTICE_M
        uly = grid.uly - math.ceil((grid.uly - y0) / LATTICE_M) * LATTICE_M
        ulx = min(ulx, grid.ulx + (int(east - self.side_m - grid.ulx) // LATTICE_M) * LATTICE_M)
        uly = max(uly, grid.uly - (int(grid.uly - south - self.side_m) // LATTICE_M) * LATTICE_M)
        return CropWindow(grid=grid, ulx=ulx, uly=uly, size=self.size)

    @cached_property
    def crops(self) -> dict[str, CropWindow]:
        return {tile: self.crop(tile) for tile in TILES}

    def swath_edge_zone31(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Two points of R008's western swath edge in zone 31; data lies east of it."""
        x_mid = _STRIP_WEST - self.side_m / 6
        half = self.side_m * 3  # long enough to cross any crop
        dx = half * math.tan(math.radians(SWATH_EDGE_TILT_DEG))
        # Descending track: the edge leans east going north.
        return ((x_mid - dx, _CENTRE_Y - half), (x_mid + dx, _CENTRE_Y + half))

    def ground_bbox_wgs84(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the union of all crop windows."""
        lons: list[float] = []
        lats: list[float] = []
        for crop in self.crops.values():
            to_ll = Transformer.from_crs(crop.grid.epsg, 4326, always_xy=True)
            w, s, e, n = crop.bounds
            for x, y in ((w, s), (w, n), (e, s), (e, n)):
                lon, lat = to_ll.transform(x, y)
                lons.append(lon)
                lats.append(lat)
        return (min(lons), min(lats), max(lons), max(lats))

    def ground_bbox_national(self, margin: float = 200.0) -> tuple[float, float, float, float]:
        """Bounds of every crop window in the national CRS, with a margin."""
        xs: list[float] = []
        ys: list[float] = []
        for crop in self.crops.values():
            to_nat = Transformer.from_crs(crop.grid.epsg, NATIONAL_EPSG, always_xy=True)
            w, s, e, n = crop.bounds
            for x, y in ((w, s), (w, n), (e, s), (e, n)):
                gx, gy = to_nat.transform(x, y)
                xs.append(gx)
                ys.append(gy)
        return (min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)
