"""Scene and Asset rows for tests, pointing at band files (local paths or hrefs).

Product ids come from the demo generator's naming (demo.generator.naming), the EPSG from
the tile id as ingest derives it (chips.raster.bands.tile_epsg).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from django.contrib.gis.geos import MultiPolygon, Polygon
from pyproj import Transformer

from chips.models import Asset, Scene
from chips.raster.bands import tile_epsg
from demo.generator import naming

# Processing finishes about two hours after sensing unless a test says when.
PROCESSING_DELAY = dt.timedelta(hours=2)


def to_lonlat(epsg: int, x: float, y: float) -> tuple[float, float]:
    lon, lat = Transformer.from_crs(epsg, 4326, always_xy=True).transform(x, y)
    return lon, lat


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
    level: str = "LEVEL2A",
) -> str:
    """The name make_scene gives a scene of these facts (level as the catalogue spells it)."""
    return naming.product_id(
        mission=mission,
        level=level[-3:],
        sensing=sensing,
        baseline=baseline,
        relative_orbit=orbit,
        tile=tile,
        generation=generated or sensing + PROCESSING_DELAY,
    )


def make_scene(
    *,
    tile: str,
    sensing: dt.datetime,
    footprint: MultiPolygon,
    bands: Mapping[str, tuple[Path | str, int]],
    epsg: int | None = None,
    orbit: int = 51,
    baseline: str = "05.09",
    generated: dt.datetime | None = None,
    mission: str = "S2A",
    level: str = "LEVEL2A",
    offset: int = -1000,
    source_format: str = "stac",
    source_href: str | None = None,
    cloud_cover: float | None = 1.0,
) -> Scene:
    """A Scene with one Asset per entry of `bands` ({band: (path or href, resolution)}).

    The source href defaults to the folder of the first band file.
    """
    gen = generated or sensing + PROCESSING_DELAY
    scene = Scene.objects.create(
        product_id=product_id(
            tile=tile,
            sensing=sensing,
            orbit=orbit,
            baseline=baseline,
            generated=gen,
            mission=mission,
            level=level,
        ),
        mission=mission,
        level=level,
        tile=tile,
        relative_orbit=orbit,
        sensing_time=sensing,
        processing_baseline=baseline,
        generation_time=gen,
        cloud_cover=cloud_cover,
        footprint=footprint,
        epsg=epsg or tile_epsg(tile),
        radiometric_offset=offset,
        source_format=source_format,
        source_href=source_href or str(Path(next(iter(bands.values()))[0]).parent),
    )
    for band, (path, res) in bands.items():
        Asset.objects.create(scene=scene, band=band, resolution=res, href=str(path))
    return scene


def asset_path(scene: Scene, band: str) -> Path:
    return Path(scene.assets.get(band=band).href)
