"""The Parcels endpoints' parameters and answers, declared once: the views validate with
these serializers and drf-spectacular publishes them (common.params explains the order)."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from common.params import BoolParam, FloatParam, IntParam, ParamField, ParamSerializer, PointParams
from parcels.params import DatasetParams, ParcelParams
from parcels.polygons import MAX_VERTICES, polygon_from_param

POLYGON_MAX_DEFAULT = 100
POLYGON_MAX_LIMIT = 10_000
NUMBER = r"[0-9]+(\.[0-9]+)?"


class PolygonParam(ParamField, serializers.CharField):
    """The GET form of the query polygon: corners lon_lat joined by '-'."""

    def __init__(self, **kwargs: Any) -> None:
        corner = f"{NUMBER}_{NUMBER}"
        pattern = f"^{corner}(-{corner}){{2,{MAX_VERTICES - 1}}}$"
        super().__init__(validators=[RegexValidator(pattern)], **kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # polygon_from_param words the 'required' answer itself.
        return polygon_from_param(None if data is serializers.empty else data)


class GeometryParams(ParamSerializer):
    """Whether, and in which CRS, the answer carries the outlines."""

    withGeometry = BoolParam(source="with_geometry", help_text="add `geom`, a GeoJSON string")
    wgs84 = BoolParam(help_text="`geom` in WGS84 lon/lat instead of the dataset's own SRID")


class ParcelByLocationQuery(DatasetParams, PointParams, GeometryParams):
    """parcelByLocation: the parcel(s) at lon/lat."""


class ParcelByIdQuery(ParcelParams, GeometryParams):
    """parcelByID: one parcel by id."""


class _PolygonParam(ParamSerializer):
    polygon = PolygonParam(
        help_text="corners lon_lat joined by '-' (at least 3; no negative coordinates: POST "
        "a GeoJSON geometry for those)"
    )


class _PolygonLimits(ParamSerializer):
    max = IntParam(
        lo=1,
        hi=POLYGON_MAX_LIMIT,
        default=POLYGON_MAX_DEFAULT,
        source="limit",
        help_text="at most this many parcels (by pid)",
    )
    only_ids = BoolParam(default=True, help_text="answer only the parcel ids")


class PolygonOptions(_PolygonLimits, GeometryParams):
    """What parcelsByPolygon reads after the polygon (POST: after the body)."""


class PolygonQuery(DatasetParams, _PolygonParam, PolygonOptions):
    """parcelsByPolygon (GET): the parcels intersecting the polygon."""


class _PeerLimits(ParamSerializer):
    distance = FloatParam(lo=0, hi=100_000, default=1000, help_text="metres, outline to outline")
    max = IntParam(lo=1, hi=1000, default=10, source="limit", help_text="at most this many")


class ParcelPeersQuery(_PeerLimits, ParcelParams):
    """parcelPeers: parcels of the same crop near one parcel (distance and max are checked
    first, as they always were)."""


# A GeoJSON Polygon or MultiPolygon geometry, or a Feature holding one (lon/lat).
_POSITION = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3}
_RING = {"type": "array", "items": _POSITION, "minItems": 4}
_POLYGON: dict[str, Any] = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {"type": "array", "items": _RING, "minItems": 1},
    },
}
_MULTIPOLYGON = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["MultiPolygon"]},
        "coordinates": {"type": "array", "items": _POLYGON["properties"]["coordinates"]},
    },
}
GEOJSON_POLYGON_BODY: dict[str, Any] = {
    "description": "a GeoJSON Polygon or MultiPolygon geometry, or a Feature holding one "
    f"(WGS84 lon/lat, at most {MAX_VERTICES} corners)",
    "oneOf": [
        _POLYGON,
        _MULTIPOLYGON,
        {
            "type": "object",
            "required": ["type", "geometry"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "geometry": {"oneOf": [_POLYGON, _MULTIPOLYGON]},
            },
        },
    ],
}


# --- answers (for the schema; the views build the bodies) -----------------------------------
class ParcelColumns(serializers.Serializer):
    """Columnar parcels: one list per column, equal lengths; no match: every list empty."""

    pid = serializers.ListField(child=serializers.CharField())
    cropname = serializers.ListField(child=serializers.CharField(allow_blank=True))
    cropcode = serializers.ListField(child=serializers.CharField(allow_blank=True))
    srid = serializers.ListField(child=serializers.IntegerField())
    area = serializers.ListField(child=serializers.IntegerField(), help_text="m², equal-area")
    clon = serializers.ListField(child=serializers.FloatField(), help_text="WGS84 centroid")
    clat = serializers.ListField(child=serializers.FloatField(), help_text="WGS84 centroid")
    geom = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="with withGeometry=True: GeoJSON geometry strings",
    )


class PolygonParcels(ParcelColumns):
    """parcelsByPolygon: with only_ids=True (the default) `pid` alone, else the columns."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, field in fields.items():
            field.required = name == "pid"
        return fields


class ParcelPeers(serializers.Serializer):
    """Parcels of the same crop, nearest first."""

    pids = serializers.ListField(child=serializers.CharField())
    distance = serializers.ListField(child=serializers.FloatField(), help_text="metres")


class ServerInfo(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    django = serializers.CharField()
    time = serializers.DateTimeField()
    user = serializers.CharField()


class DatasetInfo(serializers.Serializer):
    extent = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="[west, south, east, north] of its parcels, lon/lat; null when empty",
    )
    year = serializers.IntegerField()
    ptype = serializers.CharField(allow_blank=True)
    srid = serializers.IntegerField()
    parcels = serializers.IntegerField()
    # A field named like Field.source: fine at run time (the metaclass takes it off the class).
    source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
    attribution = serializers.CharField(allow_blank=True)
    imported = serializers.DateTimeField()


class AoiInfo(serializers.Serializer):
    """One AOI; beside these keys, `id_examples_<year>[_<ptype>]`: a few parcel ids."""

    years = serializers.ListField(child=serializers.IntegerField())
    datasets = serializers.DictField(child=DatasetInfo(), help_text="by <year>[_<ptype>]")


class BackgroundInfo(serializers.Serializer):
    """A background source (the background app adds the list, common.info_sections)."""

    name = serializers.CharField(help_text="what tms= takes")
    kind = serializers.CharField()
    attribution = serializers.CharField(allow_blank=True)
    default = serializers.BooleanField(help_text="used when tms is not given")
