"""Sentinel-2 band facts shared by ingest, extraction and the demo archive (no Django)."""

from __future__ import annotations

# Native resolution in metres of every band a product may carry.
BAND_RESOLUTION: dict[str, int] = {
    "B01": 60,
    "B02": 10,
    "B03": 10,
    "B04": 10,
    "B05": 20,
    "B06": 20,
    "B07": 20,
    "B08": 10,
    "B8A": 20,
    "B09": 60,
    "B10": 60,
    "B11": 20,
    "B12": 20,
    "SCL": 20,
}

# The bands each processing level serves (B10 is L1C only, SCL L2A only).
L1C_BANDS = tuple(b for b in BAND_RESOLUTION if b != "SCL")
L2A_BANDS = tuple(b for b in BAND_RESOLUTION if b != "B10")
LEVEL_BANDS: dict[str, tuple[str, ...]] = {"LEVEL1C": L1C_BANDS, "LEVEL2A": L2A_BANDS}

# Scene classification classes (sen2cor legend) and their colours, for SCL chips.
SCL_CLASSES: dict[int, tuple[str, tuple[int, int, int]]] = {
    0: ("No data", (0, 0, 0)),
    1: ("Saturated or defective", (255, 0, 0)),
    2: ("Dark area pixels", (47, 47, 47)),
    3: ("Cloud shadows", (100, 50, 0)),
    4: ("Vegetation", (0, 160, 0)),
    5: ("Not vegetated", (255, 230, 90)),
    6: ("Water", (0, 0, 255)),
    7: ("Unclassified", (128, 128, 128)),
    8: ("Cloud medium probability", (192, 192, 192)),
    9: ("Cloud high probability", (255, 255, 255)),
    10: ("Thin cirrus", (100, 200, 255)),
    11: ("Snow or ice", (255, 150, 255)),
}
# The CbM default cloud mask.
SCL_CLOUDY = frozenset({3, 8, 9, 10, 11})


def utm_epsg(zone: int, north: bool) -> int:
    """EPSG code of a WGS84 UTM zone: 326zz north, 327zz south."""
    return (32600 if north else 32700) + zone


def tile_epsg(tile: str) -> int:
    """EPSG of an MGRS tile id like 31UFU; latitude bands C..M are south, N..X north."""
    zone = int(tile[:2])
    band = tile[2].upper()
    return utm_epsg(zone, north=band >= "N")
