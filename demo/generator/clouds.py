"""Clouds of one datatake: smooth blobs on the ground, their shadows, a thin cirrus veil.

The opacity is drawn once per datatake on a 20 m raster in the national CRS, so every tile
of that overpass (and its L1C and L2A product) sees the same cloud over the same ground.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CLOUD_GRID_M = 20.0
CLOUD_HEIGHT_M = 1500.0
SUN_AZIMUTH_DEG = 155.0  # mid-morning sun over the Netherlands, south-south-east


@dataclass(frozen=True)
class CloudRaster:
    x0: float
    y0: float  # upper-left corner
    thick: np.ndarray  # opacity 0..1 of convective cloud
    cirrus: np.ndarray  # opacity 0..1 of thin cirrus
    shadow_offset: tuple[float, float]  # from a shadowed point to the cloud casting it
    # Low thin cloud the scene classification misses (as real L2A does now and then):
    # it dims and brightens the pixels, SCL calls them clear.
    haze: np.ndarray | None = None

    def _index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.clip(((self.y0 - y) / CLOUD_GRID_M).astype(np.int64), 0, self.thick.shape[0] - 1)
        cols = np.clip(((x - self.x0) / CLOUD_GRID_M).astype(np.int64), 0, self.thick.shape[1] - 1)
        return rows, cols

    def sample(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(thick, cirrus, shadow) opacities at ground points."""
        rows, cols = self._index(x, y)
        dx, dy = self.shadow_offset
        srows, scols = self._index(x + dx, y + dy)
        return self.thick[rows, cols], self.cirrus[rows, cols], self.thick[srows, scols]

    def sample_haze(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(haze, its shadow) opacities at ground points; zeros on a day without."""
        if self.haze is None:
            zero = np.zeros(np.shape(x), dtype=np.float32)
            return zero, zero
        rows, cols = self._index(x, y)
        dx, dy = self.shadow_offset
        srows, scols = self._index(x + dx, y + dy)
        return self.haze[rows, cols], self.haze[srows, scols]


def _add_blob(field: np.ndarray, cx: float, cy: float, r: float, amp: float) -> None:
    """Add a Gaussian blob (grid units) to field, touching only its 3-sigma window."""
    h, w = field.shape
    r0, r1 = max(int(cy - 3 * r), 0), min(int(cy + 3 * r) + 1, h)
    c0, c1 = max(int(cx - 3 * r), 0), min(int(cx + 3 * r) + 1, w)
    if r0 >= r1 or c0 >= c1:
        return
    yy = (np.arange(r0, r1, dtype=np.float32) - cy)[:, None]
    xx = (np.arange(c0, c1, dtype=np.float32) - cx)[None, :]
    field[r0:r1, c0:c1] += amp * np.exp(-(xx * xx + yy * yy) / (2 * r * r))


def _smoothstep(a: float, b: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


CLEAR, BROKEN, OVERCAST = 0, 1, 2
# Weather comes in spells: the next acquisition keeps the regime with this chance, else
# draws afresh (0.35, 0.45, 0.2 as before), so cloudy dates come in runs.
SPELL_PERSISTENCE = 0.6
REGIME_SHARES = (0.35, 0.45, 0.2)
HAZE_CHANCE = 0.25  # of a clear or broken day having some unflagged low cloud
HAZE_MAX = 0.35


def weather(n: int, rng: np.random.Generator) -> list[int]:
    """The sky regime of n consecutive acquisitions: a Markov chain (spells)."""
    regimes: list[int] = []
    for _ in range(n):
        if regimes and rng.random() < SPELL_PERSISTENCE:
            regimes.append(regimes[-1])
        else:
            regimes.append(int(rng.choice(3, p=REGIME_SHARES)))
    return regimes


def make_clouds(
    bbox: tuple[float, float, float, float],
    rng: np.random.Generator,
    sun_zenith_deg: float,
    regime: int | None = None,
) -> CloudRaster:
    """Draw one datatake's sky over bbox (national CRS): clear, broken or overcast (the
    regime given, from `weather`, or drawn here)."""
    w, s, e, n = bbox
    pad = 3000.0  # shadows come from clouds outside the area too
    x0, y0 = w - pad, n + pad
    h = int((n - s + 2 * pad) / CLOUD_GRID_M) + 1
    wd = int((e - w + 2 * pad) / CLOUD_GRID_M) + 1
    field = np.zeros((h, wd), dtype=np.float32)
    drawn = rng.choice(3, p=REGIME_SHARES)
    regime = int(drawn) if regime is None else regime
    n_clusters = {0: rng.integers(0, 2), 1: rng.integers(3, 9), 2: rng.integers(14, 22)}[regime]
    for _ in range(int(n_clusters)):
        cx, cy = rng.uniform(0, wd), rng.uniform(0, h)
        spread = rng.uniform(400, 2500) / CLOUD_GRID_M
        for _ in range(int(rng.integers(4, 12))):
            _add_blob(
                field,
                cx + rng.normal(0, spread),
                cy + rng.normal(0, spread),
                rng.uniform(150, 700) / CLOUD_GRID_M,
                float(rng.uniform(0.6, 1.4)),
            )
    thick = _smoothstep(0.35, 1.1, field)
    cirrus = np.zeros_like(field)
    if rng.random() < 0.3:
        _add_blob(cirrus, rng.uniform(0, wd), rng.uniform(0, h), rng.uniform(2000, 5000) / 20, 1)
        cirrus *= float(rng.uniform(0.15, 0.3))
    haze = None
    if regime != OVERCAST and rng.random() < HAZE_CHANCE:
        low = np.zeros_like(field)
        for _ in range(int(rng.integers(2, 6))):
            _add_blob(low, rng.uniform(0, wd), rng.uniform(0, h), rng.uniform(300, 1200) / 20, 1)
        haze = (np.clip(low, 0, 1) * float(rng.uniform(0.15, HAZE_MAX))).astype(np.float32)
    # The shadow lies away from the sun: a point is shaded by the cloud sunward of it.
    length = CLOUD_HEIGHT_M * math.tan(math.radians(sun_zenith_deg))
    az = math.radians(SUN_AZIMUTH_DEG)
    offset = (length * math.sin(az), length * math.cos(az))
    return CloudRaster(x0=x0, y0=y0, thick=thick, cirrus=cirrus, shadow_offset=offset, haze=haze)


def sun_zenith(day_of_year: float, lat_deg: float = 52.5, solar_hour: float = 11.0) -> float:
    """Approximate solar zenith angle (degrees) at the overpass."""
    decl = 23.44 * math.sin(math.radians(360 / 365 * (day_of_year - 81)))
    hour_angle = 15 * (solar_hour - 12)
    lat, d, ha = map(math.radians, (lat_deg, decl, hour_angle))
    cos_z = math.sin(lat) * math.sin(d) + math.cos(lat) * math.cos(d) * math.cos(ha)
    return math.degrees(math.acos(cos_z))
