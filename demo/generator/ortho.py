"""An aerial orthophoto of the demo's fields: RGB at 0.5 m in the national CRS (as agencies
keep theirs), a JPEG-compressed COG with overviews, over the middle of the demo area where
the example parcels lie. Drawn from the same field layout as the Sentinel-2 scenes and the
parcels (demo.generator.fields): crops with their drill rows and tramlines, tracks and
ditches between the fields, hedges along some of them, woods, water, and farmyards with
roofs. Deterministic for a manifest."""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from demo.generator import fields
from demo.generator.site import NATIONAL_EPSG, Site

RESOLUTION = 0.5
SIDE_M = 1600.0  # the middle of the demo area: its first parcels, not all 5 km
# Summer colours (RGB) per cover class: grass, maize, wheat, beet, potato, forest, urban,
# water, verge (tracks and ditches between the fields).
COLOURS = np.array(
    [
        (92, 128, 58),
        (78, 118, 46),
        (176, 160, 96),
        (66, 108, 50),
        (96, 120, 64),
        (44, 70, 40),
        (150, 140, 128),
        (40, 58, 70),
        (140, 128, 106),
    ],
    dtype="float32",
)
ROW_SPACING = {fields.MAIZE: 0.75, fields.BEET: 0.5, fields.POTATO: 0.75, fields.WHEAT: 0.125}
TRAMLINE_M = 24.0  # sprayer width: wheat and potatoes show wheel tracks at this spacing


def _rng(seed: int, *parts: object) -> np.random.Generator:
    key = zlib.crc32("/".join(map(str, ("ortho", *parts))).encode())
    return np.random.default_rng([seed, key])


def layout_of(manifest: dict[str, Any]) -> fields.FieldLayout:
    """The demo's field layout, drawn exactly as demo.generator.archive draws it."""
    site = Site(int(manifest["size_px"]))
    key = zlib.crc32(b"fields")
    rng = np.random.default_rng([int(manifest["seed"]), key])
    return fields.make_layout(site.ground_bbox_national(), rng, float(manifest["field_scale"]))


def ortho_bounds(manifest: dict[str, Any]) -> tuple[float, float, float, float]:
    """West, south, east, north (national CRS) of the orthophoto: the middle of the area."""
    w, s, e, n = manifest["bbox_wgs84"]
    cx, cy = Transformer.from_crs(4326, NATIONAL_EPSG, always_xy=True).transform(
        (w + e) / 2, (s + n) / 2
    )
    x0 = math.floor((cx - SIDE_M / 2) / 10) * 10
    y1 = math.ceil((cy + SIDE_M / 2) / 10) * 10
    return (x0, y1 - SIDE_M, x0 + SIDE_M, y1)


def _pixels(layout: fields.FieldLayout, x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    cell = layout.cell_at(x, y)
    verge = cell == layout.n_cells
    cover = np.where(verge, fields.VERGE, layout.cover[np.minimum(cell, layout.n_cells - 1)])
    rgb = COLOURS[cover].copy()
    u, v = layout.to_uv(x, y)
    safe = np.minimum(cell, layout.n_cells - 1)
    # Per-field brightness (soil, growth) and a soft within-field variation.
    rgb *= layout.soil[safe][..., None] ** 0.5
    rgb *= (1 + 0.06 * np.sin(u / 23 + layout.phase[safe]) * np.cos(v / 31))[..., None]
    for crop, spacing in ROW_SPACING.items():
        rows = (cover == crop) & ~verge
        stripe = 0.5 + 0.5 * np.cos(2 * math.pi * v / spacing)
        rgb[rows] *= (0.9 + 0.12 * stripe[rows])[..., None]
    tram = np.isin(cover, (fields.WHEAT, fields.POTATO)) & (np.abs((u % TRAMLINE_M) - 2) < 0.4)
    rgb[tram] = rgb[tram] * 0.6 + np.array([150, 130, 100]) * 0.4
    # Hedges along every third column edge: a dark band on the verge.
    col = np.clip(np.searchsorted(layout.u_edges, u) - 1, 0, len(layout.u_edges) - 2)
    near = np.minimum(np.abs(u - layout.u_edges[col]), np.abs(layout.u_edges[col + 1] - u))
    hedge = verge & (near < 2.5) & (col % 3 == 0)
    rgb[hedge] = (38, 62, 34)
    # Woods: crowns as blotches.
    woods = cover == fields.FOREST
    rgb[woods] *= (0.75 + 0.5 * np.abs(np.sin(x / 3.1) * np.sin(y / 2.7)))[woods][..., None]
    # Farmyards: red roofs on a paved yard, on a 40 m grid of the urban fields.
    urban = cover == fields.URBAN
    roof = urban & ((u % 40) < 22) & ((v % 40) < 14)
    rgb[roof] = (150, 62, 48)
    noise = _rng(seed, "noise", int(x[0, 0]), int(y[0, 0])).normal(0, 4, rgb.shape)
    return np.clip(rgb + noise, 0, 255).astype("uint8")


def write_ortho(path: Path, manifest: dict[str, Any]) -> Path:
    """The orthophoto as a COG (JPEG, YCbCr) at `path`; written under a temporary name."""
    layout = layout_of(manifest)
    west, south, east, north = ortho_bounds(manifest)
    n = int(round((east - west) / RESOLUTION))
    seed = int(manifest["seed"])
    image = np.zeros((n, n, 3), dtype="uint8")
    block = 1000
    for r in range(0, n, block):
        rows = np.arange(r, min(r + block, n))
        ys = north - (rows + 0.5) * RESOLUTION
        xs = west + (np.arange(n) + 0.5) * RESOLUTION
        x, y = np.meshgrid(xs, ys)
        image[r : r + len(rows)] = _pixels(layout, x, y, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".part-{path.name}")
    profile = {
        "driver": "COG",
        "width": n,
        "height": n,
        "count": 3,
        "dtype": "uint8",
        "crs": f"EPSG:{NATIONAL_EPSG}",
        "transform": from_origin(west, north, RESOLUTION, RESOLUTION),
        "compress": "JPEG",
        "quality": 80,
        "overview_resampling": "average",
        "blocksize": 512,
    }
    with rasterio.open(part, "w", **profile) as dst:
        dst.write(np.moveaxis(image, -1, 0))
    part.replace(path)
    return path
