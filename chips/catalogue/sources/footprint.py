"""Data footprints as valid lon/lat MultiPolygons, split at the antimeridian (no Django).

A product's footprint ring is written in longitudes of -180..180. A tile across the
antimeridian (T01KAB, T60...) then jumps from 179.9 to -179.9 between two vertices; read
as is, that ring spans the whole globe. We unwrap such a ring to 0..360, then cut it at
180 into two parts, each back in -180..180: a valid MultiPolygon whose parts touch the
antimeridian from both sides (the GeoJSON RFC 7946 rule), so spatial queries stay right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from chips.catalogue.sources.records import ProductError

_WORLD = box(-180.0, -90.0, 180.0, 90.0)
_EAST_OF_180 = box(180.0, -90.0, 540.0, 90.0)


def footprint_from_lonlat(points: Sequence[tuple[float, float]]) -> MultiPolygon:
    """A single exterior ring of (lon, lat) points -> a valid MultiPolygon."""
    if len(points) < 3:
        raise ProductError(f"footprint has {len(points)} points, a polygon needs 3")
    return _normalise(Polygon(points))


def footprint_from_geojson(geometry: dict | None) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon (a STAC item's geometry) -> a valid MultiPolygon."""
    if not geometry:
        raise ProductError("item has no geometry")
    try:
        geom = shape(geometry)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProductError(f"item geometry is not valid GeoJSON: {exc}") from exc
    if isinstance(geom, Polygon):
        return _normalise(geom)
    if isinstance(geom, MultiPolygon):
        parts = [p for poly in geom.geoms for p in _normalise(poly).geoms]
        return _as_multipolygon(shapely.union_all(parts))
    raise ProductError(f"item geometry is a {geom.geom_type}, not a (Multi)Polygon")


def _normalise(polygon: Polygon) -> MultiPolygon:
    lons = [x for x, _ in polygon.exterior.coords]
    if any(abs(x) > 180 for x in lons) or any(abs(y) > 90 for _, y in polygon.exterior.coords):
        raise ProductError("footprint has coordinates outside lon -180..180, lat -90..90")
    if max(lons) - min(lons) > 180:
        # Crosses the antimeridian: unwrap to 0..360 and cut at 180.
        unwrapped = shapely.make_valid(shapely.transform(polygon, _unwrap))
        west = unwrapped.intersection(_WORLD)
        east = translate(unwrapped.intersection(_EAST_OF_180), xoff=-360.0)
        return _as_multipolygon(shapely.union_all([west, east]))
    return _as_multipolygon(shapely.make_valid(polygon))


def _unwrap(coords: np.ndarray) -> np.ndarray:
    """Longitudes -180..0 become 180..360 (shapely passes an (n, 2) array)."""
    coords = coords.copy()
    coords[:, 0] = coords[:, 0] % 360.0
    return coords


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Keep the polygonal parts (make_valid may add stray lines or points)."""
    polygons: list[Polygon] = []
    for part in getattr(geom, "geoms", [geom]):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
    if not polygons or sum(p.area for p in polygons) == 0:
        raise ProductError("footprint has no area")
    return MultiPolygon(polygons)
