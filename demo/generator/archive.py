"""Build the demo archive: the calendar, per product the pixels, then the writers."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from demo.generator import calendar, clouds, events, fields, scene_pixels
from demo.generator.cog_writer import write_item
from demo.generator.parcels_writer import LAYER, write_parcels
from demo.generator.product import Product
from demo.generator.s1_writer import write_s1
from demo.generator.safe_writer import write_safe
from demo.generator.site import AOI, NATIONAL_EPSG, RESOLUTIONS, TILES, WEDGE_TILE, CropWindow, Site

WEDGE_ORBIT = 8  # R008's swath ends inside the 31UFU window
CLOUDY_SCL = (8, 9, 10)
TRUTH = "truth.json"
S1_TILE = "31UGU"  # the fields' true events (demo/generator/events.py)


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator for one named purpose: the same seed and parts give the same draws."""
    key = zlib.crc32("/".join(map(str, parts)).encode())
    return np.random.default_rng([seed, key])


def _footprint(
    crop: CropWindow, edge_national: tuple[tuple[float, float], tuple[float, float]] | None
) -> list[tuple[float, float]]:
    """Closed lon/lat ring of the product's data area: the window, cut by the swath edge."""
    area = shapely.box(*crop.bounds)
    if edge_national is not None:
        to_tile = Transformer.from_crs(NATIONAL_EPSG, crop.grid.epsg, always_xy=True)
        (ax, ay), (bx, by) = (to_tile.transform(*pt) for pt in edge_national)
        far = 1e6
        east = shapely.Polygon([(ax, ay), (bx, by), (bx + far, by), (ax + far, ay)])
        clipped = area.intersection(east)
        if not isinstance(clipped, shapely.Polygon):  # a box cut along one line
            raise ValueError(f"the swath edge leaves a {clipped.geom_type} of the window")
        area = clipped
    area = shapely.geometry.polygon.orient(area, 1.0)
    to_ll = Transformer.from_crs(crop.grid.epsg, 4326, always_xy=True)
    return [to_ll.transform(x, y) for x, y in area.exterior.coords]


def _xy_through(tr: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    """shapely.transform's callable: an (n, 2) array of coordinates through `tr`."""

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    return project


def _scl_stats(scl: np.ndarray) -> tuple[float, float, dict[int, float]]:
    counts = np.bincount(scl.ravel(), minlength=12).astype(float)
    total = counts.sum()
    data = total - counts[0]
    pct = {i: (100 * counts[i] / data if data else 0.0) for i in range(1, 12)}
    cloud = sum(pct[i] for i in CLOUDY_SCL)
    return cloud, 100 * counts[0] / total, pct


def build_archive(
    out: Path,
    *,
    layouts: Iterable[str] = ("safe", "cog"),
    seed: int = 0,
    size: int = 512,
    start: date = date(2024, 4, 1),
    end: date = date(2024, 9, 30),
    field_scale: float = 1.0,
    parcels_in: str = "every",
    log: Callable[[str], None] = lambda _: None,
    s1: bool = True,
    s2: bool = True,
) -> dict:
    """Write the archive under out and return the demo.json manifest. `field_scale` < 1
    makes smaller and so more fields (the bulk benchmark's 100,000 parcels); `parcels_in`
    "every" keeps the fields inside every tile's data area (each product sees all of every
    parcel: the demo's examples), "any" those inside some tile's (a national dataset as
    the scenes see it: each covers a part). `s1`: add Sentinel-1 over the 31UGU window
    (demo/generator/s1_writer.py); `s2` False: no Sentinel-2 products (the S1 benchmark's
    archive: the same fields, parcels and truth)."""
    layouts = tuple(layouts)
    out.mkdir(parents=True, exist_ok=True)
    site = Site(size)
    bbox = site.ground_bbox_national()
    layout = fields.make_layout(bbox, _rng(seed, "fields"), field_scale)
    to_nat = Transformer.from_crs(32631, NATIONAL_EPSG, always_xy=True)
    (ax, ay), (bx, by) = site.swath_edge_zone31()
    edge = (to_nat.transform(ax, ay), to_nat.transform(bx, by))
    grounds = {
        (tile, res): scene_pixels.TileGround.build(site.crops[tile], res, layout, edge)
        for tile in TILES
        for res in RESOLUTIONS
    }
    takes = calendar.acquisitions(start, end) if s2 else []
    log(f"{len(takes)} datatakes x {len(TILES)} tiles, {size} px, layouts {','.join(layouts)}")
    regimes = clouds.weather(len(takes), _rng(seed, "weather", start.isoformat()))
    for take, regime in zip(takes, regimes, strict=True):
        doy = take.sensing.timetuple().tm_yday
        spectra = scene_pixels.cell_spectra(layout, doy)
        zenith = clouds.sun_zenith(doy)
        sky_raster = clouds.make_clouds(bbox, _rng(seed, "clouds", take.key), zenith, regime)
        for tile in TILES:
            crop = site.crops[tile]
            wedge = take.relative_orbit == WEDGE_ORBIT and tile == WEDGE_TILE
            skies = {
                res: scene_pixels.sky_over(grounds[tile, res], sky_raster) for res in RESOLUTIONS
            }
            nodata = {
                res: (grounds[tile, res].cell < 0) | (wedge & ~grounds[tile, res].in_swath_r008)
                for res in RESOLUTIONS
            }
            footprint = _footprint(crop, edge if wedge else None)
            scl = {}
            for res in (20, 60):
                scl[res] = scene_pixels.scene_classes(grounds[tile, res], spectra, skies[res])
                scl[res][nodata[res]] = 0
            cloud, nodata_pct, pct = _scl_stats(scl[20])
            # The COG layout holds L2A only: L1C pixels are made for SAFE products alone.
            for level in ("L2A", "L1C") if "safe" in layouts else ("L2A",):
                rng = _rng(seed, "noise", level, tile, take.key)
                wanted = (
                    [(b, r) for r, bands in scene_pixels.L2A_FILES.items() for b in bands]
                    if level == "L2A"
                    else [(b, r) for b, r in scene_pixels.L1C_FILES.items()]
                )
                files: dict[tuple[str, int], np.ndarray] = {}
                for band, res in wanted:
                    if band == "SCL":
                        files[band, res] = scl[res]
                        continue
                    refl = scene_pixels.band_reflectance(
                        band, grounds[tile, res], spectra, skies[res], rng, toa=level == "L1C"
                    )
                    dn = scene_pixels.to_dn(refl, take.radiometric_offset)
                    dn[nodata[res]] = 0
                    files[band, res] = dn
                product = Product(
                    level=level,
                    take=take,
                    crop=crop,
                    files=files,
                    footprint=footprint,
                    cloud_cover=cloud,
                    nodata_pct=nodata_pct,
                    scl_pct=pct,
                    sun_zenith=zenith,
                )
                if "safe" in layouts:
                    write_safe(product, out)
                if "cog" in layouts and level == "L2A":
                    write_item(product, out)
        log(f"{take.key} R{take.relative_orbit:03d} {take.mission}")
    # Parcels: the fields inside every (or some) tile's data area (each window; 31UFU's cut
    # by R008's swath edge), in the national CRS.
    to_national = Transformer.from_crs(4326, NATIONAL_EPSG, always_xy=True)
    areas = [
        shapely.transform(
            shapely.Polygon(_footprint(crop, edge if tile == WEDGE_TILE else None)),
            _xy_through(to_national),
        )
        for tile, crop in site.crops.items()
    ]
    pid_cells = write_parcels(
        layout,
        shapely.intersection_all(areas) if parcels_in == "every" else shapely.union_all(areas),
        NATIONAL_EPSG,
        out / "parcels" / "demo_parcels.gpkg",
        prefix=f"{AOI.upper()}-DEMO-",
    )
    log(f"{len(pid_cells)} parcels")
    # The truth beside the archive: every parcel's events and the light it deserves.
    truth = events.truth(
        layout.events, pid_cells, layout.cover, start.year, start, end, fields.CROPS
    )
    (out / TRUTH).write_text(json.dumps(truth, indent=1))
    # Sentinel-1 on the 31UGU window (zone 31): every parcel lies inside it.
    radar = write_s1(out, site.crops[S1_TILE], layout, start, end, seed, log) if s1 else None
    manifest = {
        "aoi": AOI,
        "year": start.year,
        "parcels": "parcels/demo_parcels.gpkg",
        "parcels_layer": LAYER,
        "parcels_epsg": NATIONAL_EPSG,
        "bbox_wgs84": [round(v, 6) for v in site.ground_bbox_wgs84()],
        "tiles": list(TILES),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seed": seed,
        "size_px": size,
        "layouts": list(layouts),
        "field_scale": field_scale,
        "parcels_in": parcels_in,
        "truth": TRUTH,
    }
    if radar is not None:
        manifest["s1"] = radar
    (out / "demo.json").write_text(json.dumps(manifest, indent=2))
    return manifest
