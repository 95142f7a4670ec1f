"""The Parcels endpoints of the CbM API: parse, select, answer (columnar JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import get_version
from django.utils import timezone
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import NotFound
from common.params import get_bool, get_float, get_int
from parcels import selectors
from parcels.polygons import polygon_from_geojson, polygon_from_param

SERVER_NAME = "cbmweb"
SERVER_VERSION = "0.1.0"
POLYGON_MAX_DEFAULT = 100
POLYGON_MAX_LIMIT = 10_000


def _geometry_flags(params: Mapping[str, str]) -> tuple[bool, bool]:
    """withGeometry and wgs84, read (and a 400 raised) before any look-up."""
    return get_bool(params, "withGeometry", default=False), get_bool(params, "wgs84", default=False)


def _rows(parcels: Any, *, with_geometry: bool, wgs84: bool) -> list[Any]:
    fields = selectors.parcel_fields(with_geometry=with_geometry, wgs84=wgs84)
    return list(parcels.only(*fields))


def _columns(rows: list[Any], *, srid: int, with_geometry: bool, wgs84: bool) -> dict[str, Any]:
    return selectors.parcel_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84)


@api_view(["GET"])
def parcel_by_location(request: Request) -> Response:
    params = request.query_params
    key = selectors.dataset_key(params)
    lon = get_float(params, "lon", lo=-180, hi=180)
    lat = get_float(params, "lat", lo=-90, hi=90)
    with_geometry, wgs84 = _geometry_flags(params)
    parcels = selectors.parcels_by_location(user=request.user, key=key, lon=lon, lat=lat)
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)  # the one query
    # No rows: no access, no dataset, or no parcel at this point (403, 404 or empty columns).
    srid = rows[0].dataset_srid if rows else selectors.dataset_get(user=request.user, key=key).srid
    return Response(_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84))


@api_view(["GET"])
def parcel_by_id(request: Request) -> Response:
    params = request.query_params
    key = selectors.dataset_key(params)
    pid = selectors.pid_param(params)
    with_geometry, wgs84 = _geometry_flags(params)
    parcels = selectors.parcels_by_id(user=request.user, key=key, pid=pid)
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)  # the one query
    if not rows:
        dataset = selectors.dataset_get(user=request.user, key=key)  # 403 or 404 first
        # A parcel id names one parcel: an unknown one is a 404, not an empty table.
        raise NotFound(f"no parcel {pid!r} in {dataset}", param="pid")
    srid = rows[0].dataset_srid
    return Response(_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84))


@api_view(["GET", "POST"])
def parcels_by_polygon(request: Request) -> Response:
    params = request.query_params
    key = selectors.dataset_key(params)
    if request.method == "POST":
        polygon = polygon_from_geojson(request.body)
    else:
        polygon = polygon_from_param(params.get("polygon"))
    limit = get_int(params, "max", lo=1, hi=POLYGON_MAX_LIMIT, default=POLYGON_MAX_DEFAULT)
    only_ids = get_bool(params, "only_ids", default=True)
    with_geometry, wgs84 = _geometry_flags(params)
    dataset = selectors.dataset_get(user=request.user, key=key)
    parcels = selectors.parcels_by_polygon(dataset=dataset, polygon=polygon, limit=limit)
    if only_ids:
        return Response({"pid": list(parcels.values_list("pid", flat=True))})
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)
    return Response(_columns(rows, srid=dataset.srid, with_geometry=with_geometry, wgs84=wgs84))


@api_view(["GET"])
def parcel_peers(request: Request) -> Response:
    params = request.query_params
    distance = get_float(params, "distance", lo=0, hi=100_000, default=1000)
    limit = get_int(params, "max", lo=1, hi=1000, default=10)
    parcel = selectors.parcel_from_params(user=request.user, params=params)
    peers = selectors.parcel_peers(parcel=parcel, distance=distance, limit=limit)
    return Response(
        {"pids": [pid for pid, _ in peers], "distance": [round(d, 2) for _, d in peers]}
    )


@api_view(["GET"])
def info(request: Request) -> Response:
    return Response(
        {
            "server": {
                "name": SERVER_NAME,
                "version": SERVER_VERSION,
                "django": get_version(),
                "time": timezone.now().isoformat(timespec="seconds"),
                "user": request.user.get_username(),
            },
            "aois": selectors.aois_info(user=request.user),
        }
    )
