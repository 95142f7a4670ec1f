"""The query polygon of parcelsByPolygon: `lon_lat-lon_lat-...` (GET) or GeoJSON (POST)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon

from common.errors import BadParameter
from common.parsers import MAX_DEPTH, json_depth

MAX_VERTICES = 10_000
G = TypeVar("G", bound=GEOSGeometry)


def polygon_from_param(text: str | None) -> Polygon:
    """`lon_lat-lon_lat-...` (at least three corners; the ring is closed if it is not).

    The GET form cannot carry negative coordinates ('-' separates the corners): POST
    a GeoJSON geometry for those.
    """
    if not text:
        raise BadParameter("polygon is required: lon_lat-lon_lat-lon_lat...", param="polygon")
    corners = text.split("-")
    if not 3 <= len(corners) <= MAX_VERTICES:
        raise BadParameter(
            f"polygon needs 3..{MAX_VERTICES} corners lon_lat joined by '-'", param="polygon"
        )
    ring = []
    for corner in corners:
        parts = corner.split("_")
        try:
            lon, lat = (float(part) for part in parts)
        except ValueError:
            raise BadParameter(
                f"polygon corner {corner!r} is not lon_lat (decimal degrees)", param="polygon"
            ) from None
        ring.append((lon, lat))
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return _checked(_polygon(ring))


def polygon_from_geojson(body: Any) -> GEOSGeometry:
    """A GeoJSON Polygon or MultiPolygon geometry (or a Feature holding one), in lon/lat."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            raise BadParameter("the body is not JSON", param="polygon") from None
    if json_depth(body) > MAX_DEPTH:
        raise BadParameter(f"the body nests deeper than {MAX_DEPTH} levels", param="polygon")
    if isinstance(body, dict) and body.get("type") == "Feature":
        body = body.get("geometry")
    if not isinstance(body, dict) or body.get("type") not in ("Polygon", "MultiPolygon"):
        raise BadParameter(
            "the body must be a GeoJSON Polygon or MultiPolygon geometry", param="polygon"
        )
    try:
        geom = GEOSGeometry(json.dumps(body))
    except (GEOSException, GDALException, ValueError, TypeError):
        raise BadParameter("the body is not a valid GeoJSON geometry", param="polygon") from None
    geom.srid = 4326
    if not isinstance(geom, (Polygon, MultiPolygon)):
        raise BadParameter("the body must be a Polygon or MultiPolygon", param="polygon")
    if geom.num_coords > MAX_VERTICES:
        raise BadParameter(f"the polygon has more than {MAX_VERTICES} corners", param="polygon")
    return _checked(geom)


def _polygon(ring: list[tuple[float, float]]) -> Polygon:
    if len(ring) < 4:
        raise BadParameter("polygon needs at least 3 distinct corners", param="polygon")
    try:
        return Polygon(ring, srid=4326)
    except (GEOSException, ValueError, TypeError):
        raise BadParameter("polygon is not a valid polygon", param="polygon") from None


def _checked(geom: G) -> G:
    # An empty geometry (no ring, an empty ring, an empty MultiPolygon) has no extent.
    if geom.empty or any(part.empty for part in _parts(geom)):
        raise BadParameter(
            "polygon is empty: it needs a ring of at least 3 corners", param="polygon"
        )
    xmin, ymin, xmax, ymax = geom.extent
    if not (xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90):
        raise BadParameter("polygon is outside lon -180..180, lat -90..90", param="polygon")
    if not geom.valid:
        raise BadParameter(f"polygon is not valid: {geom.valid_reason}", param="polygon")
    return geom


def _parts(geom: GEOSGeometry) -> list[GEOSGeometry]:
    return list(geom) if isinstance(geom, MultiPolygon) else [geom]
