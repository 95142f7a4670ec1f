"""Raw chip endpoints (GeoTIFF): validate (chips.web.serializers), call the service, answer
JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chips.raw import answer as raw_answer
from chips.raw import deliver as chip_delivery
from chips.raw import s1 as s1_raw
from chips.signatures import series
from chips.web import serializers as s
from chips.work import jobs
from common.schema import error_responses
from ops.accounting import record_chips
from ops.client_ip import client_ip
from parcels.selectors import parcel_get

CHIP_ANSWERS = {
    200: OpenApiResponse(s.RawChips, description="the chips (or, with onlylist, the products)"),
    202: OpenApiResponse(s.ChipJob, description="still cutting: poll the job's url"),
}


def caller(request: Request) -> User:
    """The request's user: IsAuthenticated (the default permission) lets no anonymous one in."""
    return cast(User, request.user)


def delivered(request: Request, delivery: chip_delivery.Delivery) -> Response:
    """200 with the answer; 202 with the job (and its URL) while the chips are being cut."""
    record_chips(request, cut=delivery.cut, cached=delivery.cached)
    if delivery.body is not None:
        return Response(delivery.body)
    assert delivery.job is not None
    url = jobs.job_url(delivery.job)
    return Response(raw_answer.status(delivery.job, url=url), status=202, headers={"Location": url})


@extend_schema(
    parameters=[s.RawChipByLocationQuery],
    responses={**CHIP_ANSWERS, **error_responses(400, 401, 429, 503)},
)
class RawChipByLocation(APIView):
    """GET rawChipByLocation: one GeoTIFF chip per acquisition around lon/lat."""

    def get(self, request: Request) -> Response:
        values = s.RawChipByLocationQuery.validated(request.query_params)
        if values["level"] in s.S1_LEVELS:
            return delivered(request, s1_by_location(request, values))
        delivery = chip_delivery.raw_chips_by_location(
            user=caller(request), ip=client_ip(request), **values
        )
        return delivered(request, delivery)


@extend_schema(
    parameters=[s.RawChipByParcelQuery],
    responses={**CHIP_ANSWERS, **error_responses(400, 401, 403, 404, 429, 503)},
)
class RawChipByParcelId(APIView):
    """GET rawChipByParcelID / rawChipByParcelId: the chips centred on a parcel's centroid."""

    def get(self, request: Request) -> Response:
        values = s.RawChipByParcelQuery.validated(request.query_params)
        parcel = parcel_get(user=request.user, key=values.pop("dataset"), pid=values.pop("pid"))
        centre = getattr(parcel, "centroid", None) or parcel.geom.centroid
        if values["level"] in s.S1_LEVELS:  # min_clear is LEVEL2A's only: None here
            values.pop("min_clear")
            values.update(lon=centre.x, lat=centre.y)
            return delivered(request, s1_by_location(request, values))
        keep = series.clear_filter(parcel, values.pop("min_clear"))
        delivery = chip_delivery.raw_chips_by_location(
            user=caller(request),
            ip=client_ip(request),
            lon=centre.x,
            lat=centre.y,
            keep=keep,
            **values,
        )
        return delivered(request, delivery)


@extend_schema(
    request={"application/json": s.RawChipsBatchBody},
    responses={**CHIP_ANSWERS, **error_responses(400, 401, 403, 404, 413, 429, 503)},
)
class RawChipsBatch(APIView):
    """POST rawChipsBatch: every asked product x band, chips for exactly those."""

    def post(self, request: Request) -> Response:
        values = s.RawChipsBatchBody.validated(request.data)
        delivery = chip_delivery.raw_chips_batch(
            user=caller(request),
            ip=client_ip(request),
            lon=values["lon"],
            lat=values["lat"],
            product_ids=values["tiles"],
            bands=values["bands"],
            chipsize=values["chipsize"],
            level=values["level"],
            background=values["background"],
        )
        return delivered(request, delivery)


def s1_by_location(request: Request, values: dict[str, Any]) -> chip_delivery.Delivery:
    """The S2 raw endpoints with plevel=CARD-BS|CARD-COH6: one polarisation (`band`)."""
    return s1_raw.s1_chips(
        user=caller(request),
        ip=client_ip(request),
        lon=values["lon"],
        lat=values["lat"],
        start=values["start"],
        end=values["end"],
        chipsize=values["chipsize"],
        kind=values["level"],
        polarisations=(values["band"],),
        batch=False,
        refresh=values["refresh"],
        onlylist=values["onlylist"],
        background=values["background"],
    )


@extend_schema(
    request={"application/json": s.RawS1ChipsBatchBody},
    responses={**CHIP_ANSWERS, **error_responses(400, 401, 413, 429, 503)},
)
class RawS1ChipsBatch(APIView):
    """POST rawS1ChipsBatch: every Sentinel-1 pass over the point in the dates, a VH and
    a VV chip each, on the product's own grid (float32 linear, nodata NaN)."""

    def post(self, request: Request) -> Response:
        s.RawS1ChipsBatchBody.check_keys(request.data)
        values = s.RawS1ChipsBatchBody.validated(request.data)
        start, end = (dt.date.fromisoformat(d) for d in values["dates"])
        delivery = s1_raw.s1_chips(
            user=caller(request),
            ip=client_ip(request),
            lon=values["lon"],
            lat=values["lat"],
            start=start,
            end=end,
            chipsize=values["chipsize"],
            kind=values["plevel"],
            orbit_direction=values["orbit_direction"],
            relative_orbit=values["relative_orbit"],
            background=values["background"],
        )
        return delivered(request, delivery)


@extend_schema(responses={200: s.ChipJob, **error_responses(401, 404, 429, 503)})
class ChipJobStatus(APIView):
    """GET /query/jobs/<id>: status, done and total of a chip job, its result when over."""

    def get(self, request: Request, job_id: str) -> Response:
        job = jobs.job_of(user=caller(request), job_id=job_id)
        return Response(raw_answer.status(job, url=jobs.job_url(job)))
