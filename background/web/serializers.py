"""The background endpoints' parameters, declared once (common.params explains the order)."""

from __future__ import annotations

from rest_framework import serializers

from chips.web.timeseries_serializers import WordParam
from common.params import BoolParam, FloatParam, IntParam, ParamSerializer, PointParams, TextParam
from parcels.params import ParcelParams

IFORMATS = ("png", "tif")
MAX_LAT = 85.05


class BackgroundParams(ParamSerializer):
    chipsize = IntParam(lo=16, hi=2048, default=256, help_text="side of the image, pixels")
    extend = FloatParam(lo=10, hi=10000, default=256, help_text="side of the image, metres "
                        "(EPSG:3857) around the point")  # fmt: skip
    tms = TextParam(
        required=False,
        max_length=40,
        help_text="background source (case-insensitive; /query/info lists yours); default: "
        "the default source",
    )
    iformat = WordParam(choices=IFORMATS, default="png", help_text="png or tif (GeoTIFF)")
    raw = BoolParam(help_text="answer the file's URL (text/plain) instead of a page")


class BackgroundByLocationQuery(PointParams, BackgroundParams):
    """backgroundByLocation: lon and lat first."""

    # EPSG:3857 ends at 85.0511 degrees (the square world of the tile services).
    lat = FloatParam(lo=-MAX_LAT, hi=MAX_LAT, help_text="WGS84 latitude, decimal degrees "
                     "(EPSG:3857 reaches 85.05 N/S)")  # fmt: skip


class BackgroundByParcelQuery(ParcelParams, BackgroundParams):
    """backgroundByParcelID: the parcel first."""

    withGeometry = BoolParam(source="with_geometry", help_text="draw the parcel's outline "
                             "(PNG)")  # fmt: skip


class BackgroundInfo(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    attribution = serializers.CharField()
    default = serializers.BooleanField()
