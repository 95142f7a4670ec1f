"""Band arrays of one product: fields seen through a tile's grid, clouds, shadows, SCL, nodata.

Per tile and resolution the pixel centres are turned into national-CRS ground points once
(`TileGround`); per product only the day's field spectra, the datatake's clouds and the noise
change, so a product costs a few array look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

from demo.generator import fields
from demo.generator.clouds import CloudRaster
from demo.generator.site import NATIONAL_EPSG, CropWindow

# Bands per resolution folder, as real products hold them.
L2A_FILES: dict[int, tuple[str, ...]] = {
    10: ("B02", "B03", "B04", "B08"),
    20: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12", "SCL"),
    60: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12", "SCL"),
}
L1C_FILES: dict[str, int] = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20,
    "B08": 10, "B8A": 20, "B09": 60, "B10": 60, "B11": 20, "B12": 20,
}  # fmt: skip
SPECTRAL = (
    "B01",
    "B02",
    "B03",
    "B04",
    "B05",
    "B06",
    "B07",
    "B08",
    "B8A",
    "B09",
    "B10",
    "B11",
    "B12",
)
# Surface reflectance endmembers per band (order of SPECTRAL): bare soil, full canopy,
# water, built-up, and cloud top.
_SOIL = np.array([0.09, 0.10, 0.13, 0.16, 0.19, 0.21, 0.22, 0.24, 0.25, 0.08, 0.005, 0.32, 0.27])
_LEAF = np.array([0.03, 0.03, 0.07, 0.03, 0.10, 0.30, 0.38, 0.42, 0.44, 0.12, 0.005, 0.20, 0.10])
_WATER = np.array(
    [0.06, 0.05, 0.05, 0.03, 0.02, 0.015, 0.012, 0.01, 0.01, 0.005, 0.003, 0.005, 0.003]
)
_URBAN = np.array([0.12, 0.12, 0.13, 0.14, 0.16, 0.17, 0.18, 0.19, 0.19, 0.06, 0.005, 0.22, 0.20])
# Dry straw and stubble: bright in the visible and the short-wave infrared (cellulose).
_STRAW = np.array([0.10, 0.11, 0.15, 0.20, 0.24, 0.27, 0.29, 0.31, 0.32, 0.12, 0.005, 0.42, 0.33])
# Freshly turned soil is moist and rough: darker than weathered soil in every band.
TILLED_DARKENING = 0.78
_CLOUD = np.array([0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.54, 0.54, 0.53, 0.30, 0.20, 0.45, 0.35])
# Top of atmosphere: L1C sees BOA scaled plus the path radiance of a clear summer sky.
_TOA_GAIN = 0.92
_PATH = np.array(
    [0.08, 0.06, 0.04, 0.025, 0.02, 0.015, 0.012, 0.01, 0.01, 0.005, 0.002, 0.003, 0.002]
)
NOISE = 0.004  # reflectance units, per pixel and product


@dataclass
class TileGround:
    """A crop window's pixel centres at one resolution, as ground points and field cells."""

    x: np.ndarray  # national CRS
    y: np.ndarray
    cell: np.ndarray
    texture: np.ndarray  # within-field variation, fixed to the ground
    in_swath_r008: np.ndarray  # east of orbit R008's swath edge

    @classmethod
    def build(
        cls,
        crop: CropWindow,
        res: int,
        layout: fields.FieldLayout,
        swath_edge_national: tuple[tuple[float, float], tuple[float, float]],
    ) -> TileGround:
        rows, cols = crop.shape(res)
        t = crop.transform(res)
        px = t.c + (np.arange(cols) + 0.5) * res
        py = t.f - (np.arange(rows) + 0.5) * res
        gx, gy = np.meshgrid(px, py)
        to_nat = Transformer.from_crs(crop.grid.epsg, NATIONAL_EPSG, always_xy=True)
        x, y = to_nat.transform(gx.ravel(), gy.ravel())
        x = np.asarray(x).reshape(rows, cols)
        y = np.asarray(y).reshape(rows, cols)
        # Pixels whose centre lies outside the 10 m window (the 60 m grid rounds up) are
        # nodata: the window is the product's footprint.
        inside = (gx < crop.bounds[2]) & (gy > crop.bounds[1])
        cell = layout.cell_at(x, y)
        phase = np.append(layout.phase, 0.0)[cell]
        texture = (
            0.035 * np.sin(x / 23.0 + phase) * np.sin(y / 31.0 + 2 * phase)
            + 0.02 * np.sin((x + y) / 97.0 + 3 * phase)
        ).astype(np.float32)
        (ax, ay), (bx, by) = swath_edge_national
        east = (bx - ax) * (y - ay) - (by - ay) * (x - ax) < 0
        return cls(x=x, y=y, cell=np.where(inside, cell, -1), texture=texture, in_swath_r008=east)


def cell_spectra(layout: fields.FieldLayout, day_of_year: float) -> np.ndarray:
    """(cells + verge, 13 bands) surface reflectance of every field on one day."""
    g, straw, tilled = fields.ground_state(layout, day_of_year)
    frac = np.clip((g - 0.15) / 0.7, 0.0, 1.0)[:, None]
    straw = np.minimum(straw[:, None], 1 - frac)
    soil = np.append(layout.soil, 1.0)[:, None] * np.where(tilled, TILLED_DARKENING, 1.0)[:, None]
    spectra = _SOIL[None, :] * soil * (1 - frac - straw) + _LEAF[None, :] * frac
    spectra += _STRAW[None, :] * straw
    cover = np.append(layout.cover, fields.VERGE)
    spectra[cover == fields.WATER] = _WATER
    spectra[cover == fields.URBAN] = _URBAN
    forest = cover == fields.FOREST
    spectra[forest] = _LEAF * np.array([1, 1, 0.8, 1, 1, 0.85, 0.8, 0.78, 0.78, 1, 1, 0.8, 0.8])
    return spectra.astype(np.float32)


@dataclass
class Sky:
    thick: np.ndarray
    cirrus: np.ndarray
    shadow: np.ndarray  # opacity of the cloud casting a shadow here
    haze: np.ndarray  # low cloud that sen2cor misses: in the pixels, not in SCL
    haze_shadow: np.ndarray


def sky_over(ground: TileGround, clouds: CloudRaster) -> Sky:
    thick, cirrus, shadow = clouds.sample(ground.x, ground.y)
    haze, haze_shadow = clouds.sample_haze(ground.x, ground.y)
    # A cloud hides its own shadow: only clear ground shows it.
    return Sky(
        thick=thick,
        cirrus=cirrus,
        shadow=shadow * (1 - thick),
        haze=haze * (thick < 0.1),
        haze_shadow=haze_shadow * (1 - thick) * (1 - haze),
    )


def band_reflectance(
    band: str,
    ground: TileGround,
    spectra: np.ndarray,
    sky: Sky,
    rng: np.random.Generator,
    toa: bool,
) -> np.ndarray:
    """Reflectance (float32) of one band; NaN where the product has no data."""
    b = SPECTRAL.index(band)
    cell = ground.cell
    refl = spectra[cell, b] * (1 + ground.texture)
    refl += rng.normal(0.0, NOISE, refl.shape).astype(np.float32)
    if toa:
        refl = refl * _TOA_GAIN + _PATH[b]
    refl *= 1 - 0.6 * np.maximum(sky.shadow, sky.haze_shadow)
    thick = 1 - (1 - sky.thick) * (1 - sky.haze)
    refl = refl * (1 - thick) + _CLOUD[b] * thick
    refl = refl * (1 - sky.cirrus) + 0.3 * sky.cirrus
    if band == "B10":  # the cirrus band sees little but high cloud
        refl = 0.004 + 0.15 * sky.cirrus + 0.2 * sky.thick
    return refl.astype(np.float32)


def scene_classes(ground: TileGround, spectra: np.ndarray, sky: Sky) -> np.ndarray:
    """sen2cor-like SCL (uint8) from the sky and the ground cover."""
    red = spectra[ground.cell, SPECTRAL.index("B04")]
    nir = spectra[ground.cell, SPECTRAL.index("B08")]
    ndvi = (nir - red) / np.maximum(nir + red, 1e-6)
    scl = np.where(ndvi > 0.4, 4, 5).astype(np.uint8)
    scl[(nir < 0.05) & (red < 0.05)] = 6
    scl[sky.shadow > 0.25] = 3
    scl[sky.cirrus > 0.12] = 10
    scl[sky.thick >= 0.25] = 8
    scl[sky.thick >= 0.55] = 9
    return scl


def to_dn(refl: np.ndarray, offset: int) -> np.ndarray:
    """Reflectance to 15-bit DN: DN = reflectance * 10000 - offset; 0 stays nodata."""
    dn = np.rint(refl * 10000.0) - offset
    return np.clip(dn, 1, 32767).astype(np.uint16)
