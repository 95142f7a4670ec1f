"""GET /query/parcelTimeSeries: validate (chips.web.timeseries_serializers), the parcel
after the AOI check (parcels.selectors), the series (chips.signatures.series), JSON or CSV."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chips.signatures import s1_series, series
from chips.web import timeseries_serializers as s
from common import tables
from common.schema import error_responses
from parcels.selectors import parcel_get


@extend_schema(
    description="A parcel's statistics per acquisition and band, from the signature store "
    "(what it lacks is computed from the archive first). tsformat=csv answers the same "
    "table as a CSV attachment.",
    parameters=[s.ParcelTimeSeriesQuery],
    responses={
        200: OpenApiResponse(s.TimeSeriesColumns, description="the columns (or the CSV)"),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class ParcelTimeSeries(APIView):
    """GET parcelTimeSeries: the parcel's season, one row per acquisition and band."""

    def get(self, request: Request) -> Response | HttpResponse:
        values = s.ParcelTimeSeriesQuery.validated(request.query_params)
        key = values["dataset"]
        parcel = parcel_get(user=request.user, key=key, pid=values["pid"])
        if values["tstype"] in s.S1_TSTYPES:
            answer = s1_series.time_series(parcel, s.ParcelTimeSeriesQuery.sar_series(values))
        else:
            answer = series.time_series(parcel, s.ParcelTimeSeriesQuery.series(values))
        name = series.csv_name(
            aoi=key.aoi, year=key.year, ptype=key.ptype, pid=values["pid"], tstype=values["tstype"]
        )
        return tables.answer(answer, values["tsformat"], name)
