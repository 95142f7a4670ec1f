"""The Parcels endpoints of the CbM API: validate (parcels.web.serializers), select, answer
(columnar JSON)."""

from __future__ import annotations

from typing import Any

from django import get_version
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from common import info_sections
from common.errors import NotFound
from common.schema import error_responses
from parcels import selectors
from parcels.polygons import polygon_from_geojson
from parcels.web import serializers as s

SERVER_NAME = "cbmweb"
SERVER_VERSION = "0.1.0"
# Every dataset-bound endpoint may answer these (403: the AOI is not granted).
DATASET_ERRORS = error_responses(400, 401, 403, 404, 429, 503)
# The views' descriptions live in extend_schema, not in docstrings: the browsable API shows a
# function view's docstring, and its pages stay as they were.


def _rows(parcels: Any, *, with_geometry: bool, wgs84: bool) -> list[Any]:
    fields = selectors.parcel_fields(with_geometry=with_geometry, wgs84=wgs84)
    return list(parcels.only(*fields))


def _columns(rows: list[Any], *, srid: int, with_geometry: bool, wgs84: bool) -> dict[str, Any]:
    return selectors.parcel_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84)


@extend_schema(
    description="The parcel(s) of a dataset at a point.",
    parameters=[s.ParcelByLocationQuery],
    responses={200: s.ParcelColumns, **DATASET_ERRORS},
)
@api_view(["GET"])
def parcel_by_location(request: Request) -> Response:
    q = s.ParcelByLocationQuery.validated(request.query_params)
    key, with_geometry, wgs84 = q["dataset"], q["with_geometry"], q["wgs84"]
    parcels = selectors.parcels_by_location(user=request.user, key=key, lon=q["lon"], lat=q["lat"])
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)  # the one query
    # No rows: no access, no dataset, or no parcel at this point (403, 404 or empty columns).
    srid = rows[0].dataset_srid if rows else selectors.dataset_get(user=request.user, key=key).srid
    return Response(_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84))


@extend_schema(
    description="One parcel by its id.",
    parameters=[s.ParcelByIdQuery],
    responses={200: s.ParcelColumns, **DATASET_ERRORS},
)
@api_view(["GET"])
def parcel_by_id(request: Request) -> Response:
    q = s.ParcelByIdQuery.validated(request.query_params)
    key, pid, with_geometry, wgs84 = q["dataset"], q["pid"], q["with_geometry"], q["wgs84"]
    parcels = selectors.parcels_by_id(user=request.user, key=key, pid=pid)
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)  # the one query
    if not rows:
        dataset = selectors.dataset_get(user=request.user, key=key)  # 403 or 404 first
        # A parcel id names one parcel: an unknown one is a 404, not an empty table.
        raise NotFound(f"no parcel {pid!r} in {dataset}", param="pid")
    srid = rows[0].dataset_srid
    return Response(_columns(rows, srid=srid, with_geometry=with_geometry, wgs84=wgs84))


@extend_schema(
    methods=["GET"],
    description="The parcels of a dataset that intersect a polygon given by its corners.",
    parameters=[s.PolygonQuery],
    responses={200: s.PolygonParcels, **DATASET_ERRORS},
)
@extend_schema(
    methods=["POST"],
    description="The parcels of a dataset that intersect a GeoJSON polygon (the body), "
    "which may hold negative coordinates.",
    parameters=[s.DatasetParams, s.PolygonOptions],
    request={
        "application/json": s.GEOJSON_POLYGON_BODY,
        "application/geo+json": s.GEOJSON_POLYGON_BODY,
    },
    responses={200: s.PolygonParcels, **DATASET_ERRORS, **error_responses(413)},
)
@api_view(["GET", "POST"])
def parcels_by_polygon(request: Request) -> Response:
    params = request.query_params
    if request.method == "POST":
        # The body is read between the dataset and the options, as it always was.
        q = s.DatasetParams.validated(params)
        polygon = polygon_from_geojson(request.body)
        q |= s.PolygonOptions.validated(params)
    else:
        q = s.PolygonQuery.validated(params)
        polygon = q["polygon"]
    with_geometry, wgs84 = q["with_geometry"], q["wgs84"]
    dataset = selectors.dataset_get(user=request.user, key=q["dataset"])
    parcels = selectors.parcels_by_polygon(dataset=dataset, polygon=polygon, limit=q["limit"])
    if q["only_ids"]:
        return Response({"pid": list(parcels.values_list("pid", flat=True))})
    rows = _rows(parcels, with_geometry=with_geometry, wgs84=wgs84)
    return Response(_columns(rows, srid=dataset.srid, with_geometry=with_geometry, wgs84=wgs84))


@extend_schema(
    description="Parcels of the same crop near a parcel, nearest first.",
    parameters=[s.ParcelPeersQuery],
    responses={200: s.ParcelPeers, **DATASET_ERRORS},
)
@api_view(["GET"])
def parcel_peers(request: Request) -> Response:
    q = s.ParcelPeersQuery.validated(request.query_params)
    parcel = selectors.parcel_get(user=request.user, key=q["dataset"], pid=q["pid"])
    peers = selectors.parcel_peers(parcel=parcel, distance=q["distance"], limit=q["limit"])
    return Response(
        {"pids": [pid for pid, _ in peers], "distance": [round(d, 2) for _, d in peers]}
    )


@extend_schema(
    description="The service, and the datasets of the AOIs the caller may see.",
    responses={200: s.Info, **error_responses(401, 429, 503)},
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
            **info_sections.sections(request.user),
        }
    )
