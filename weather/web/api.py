"""GET /query/weatherTimeSeries: the parcel after the AOI check (parcels.selectors), the
daily weather of the cell containing its centroid (weather.series), JSON columns or CSV."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chips.web.timeseries_serializers import WordParam
from common.errors import BadParameter
from common.params import DateParam
from common.schema import error_responses
from parcels.params import ParcelParams
from parcels.selectors import parcel_get
from weather import series

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class WeatherTimeSeriesQuery(ParcelParams):
    tsformat = WordParam(choices=("json", "csv"), default="json", help_text="json or csv")
    start_date = DateParam(
        source="start", required=False, help_text="first day (UTC); default: the first loaded"
    )
    end_date = DateParam(
        source="end", required=False, help_text="last day (UTC); default: the last loaded"
    )

    def check_end_date(self, value: dt.date | None, values: dict[str, Any]) -> dt.date | None:
        start = values.get("start")
        if value is not None and start is not None and start > value:
            raise BadParameter("start_date is after end_date", param="start_date")
        return value


class WeatherColumns(serializers.Serializer):
    """One entry per UTC day, sorted; the lists are parallel."""

    meteo_date = serializers.ListField(child=serializers.DateField())
    tmin = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="degrees C"
    )
    tmax = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="degrees C"
    )
    tmean = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="degrees C"
    )
    prec = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="mm per day"
    )


@extend_schema(
    description="Daily minimum, maximum and mean air temperature (2 m, degrees C) and "
    "precipitation (mm) of the ERA5 / ERA5-Land cell containing the parcel's centroid (the "
    "finest grid loaded). tsformat=csv answers the same table as a CSV attachment.",
    parameters=[WeatherTimeSeriesQuery],
    responses={
        200: OpenApiResponse(WeatherColumns, description="the columns (or the CSV)"),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class WeatherTimeSeries(APIView):
    def get(self, request: Request) -> Response | HttpResponse:
        values = WeatherTimeSeriesQuery.validated(request.query_params)
        key = values["dataset"]
        parcel = parcel_get(user=request.user, key=key, pid=values["pid"])
        centre = getattr(parcel, "centroid", None) or parcel.geom.centroid
        answer = series.weather_series(centre, start=values["start"], end=values["end"])
        if values["tsformat"] != "csv":
            return Response(answer)
        name = series.csv_name(aoi=key.aoi, year=key.year, ptype=key.ptype, pid=values["pid"])
        response = HttpResponse(series.as_csv(answer), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_UNSAFE.sub("_", name)}"'
        return response
