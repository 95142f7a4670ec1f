"""Raw chip endpoints (GeoTIFF): parse and validate, call the service, answer JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chips import delivery as chip_delivery
from chips import jobs
from chips.models import Level
from chips.raster.bands import BAND_RESOLUTION, LEVEL_BANDS
from common.errors import BadParameter
from common.params import get_bool, get_date_window, get_float, get_int, get_str
from ops.accounting import record_chips
from ops.client_ip import client_ip

DEFAULT_CHIPSIZE = 1280
MIN_CHIPSIZE, MAX_CHIPSIZE = 10, 5120


def parse_level(value: str | None) -> str:
    level = value or Level.L2A
    if level not in LEVEL_BANDS:
        raise BadParameter(f"plevel={value!r}: use LEVEL2A or LEVEL1C", param="plevel")
    return level


def parse_band(value: str, level: str, param: str = "band") -> str:
    if value not in LEVEL_BANDS[level]:
        allowed = " ".join(LEVEL_BANDS[level])
        raise BadParameter(f"{param}={value!r} is not a {level} band ({allowed})", param=param)
    return value


def _any_band(value: str) -> str:
    if value not in BAND_RESOLUTION:
        raise BadParameter(f"bands: {value!r} is not a Sentinel-2 band", param="bands")
    return value


def parse_chipsize(params: Mapping[str, Any]) -> int:
    return get_int(params, "chipsize", lo=MIN_CHIPSIZE, hi=MAX_CHIPSIZE, default=DEFAULT_CHIPSIZE)


def _window_request(params: Mapping[str, str]) -> dict[str, Any]:
    """The parameters shared by the by-location and by-parcel endpoints (no point)."""
    start, end = get_date_window(params)
    level = parse_level(params.get("plevel"))
    return {
        "start": start,
        "end": end,
        "level": level,
        "band": parse_band(get_str(params, "band"), level),
        "chipsize": parse_chipsize(params),
        "refresh": get_bool(params, "refresh"),
        "onlylist": get_bool(params, "onlylist"),
        "background": get_bool(params, "async"),
    }


def delivered(request: Request, delivery: chip_delivery.Delivery) -> Response:
    """200 with the answer; 202 with the job (and its URL) while the chips are being cut."""
    record_chips(request, cut=delivery.cut, cached=delivery.cached)
    if delivery.body is not None:
        return Response(delivery.body)
    assert delivery.job is not None
    url = chip_delivery.job_url(delivery.job)
    return Response(jobs.status(delivery.job, url=url), status=202, headers={"Location": url})


class RawChipByLocation(APIView):
    """GET rawChipByLocation: one GeoTIFF chip per acquisition around lon/lat."""

    def get(self, request: Request) -> Response:
        params = request.query_params
        lon = get_float(params, "lon", lo=-180, hi=180)
        lat = get_float(params, "lat", lo=-90, hi=90)
        delivery = chip_delivery.raw_chips_by_location(
            user=request.user, ip=client_ip(request), lon=lon, lat=lat, **_window_request(params)
        )
        return delivered(request, delivery)


class RawChipByParcelId(APIView):
    """GET rawChipByParcelID / rawChipByParcelId: the chips centred on a parcel's centroid."""

    def get(self, request: Request) -> Response:
        # Imported here: parcels is an optional neighbour app for every other endpoint.
        from parcels.selectors import parcel_from_params

        params = request.query_params
        window = _window_request(params)
        parcel = parcel_from_params(user=request.user, params=params)
        centre = getattr(parcel, "centroid", None) or parcel.geom.centroid
        delivery = chip_delivery.raw_chips_by_location(
            user=request.user, ip=client_ip(request), lon=centre.x, lat=centre.y, **window
        )
        return delivered(request, delivery)


class RawChipsBatch(APIView):
    """POST rawChipsBatch: every asked product x band, chips for exactly those."""

    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            raise BadParameter("the body must be a JSON object", param="body")
        params = {k: str(v) for k, v in body.items() if isinstance(v, str | int | float)}
        lon = get_float(params, "lon", lo=-180, hi=180)
        lat = get_float(params, "lat", lo=-90, hi=90)
        level = parse_level(params.get("plevel")) if params.get("plevel") else None
        tiles = body.get("tiles")
        if not isinstance(tiles, list) or not tiles or not all(isinstance(t, str) for t in tiles):
            raise BadParameter("tiles must be a non-empty list of product ids", param="tiles")
        bands = body.get("bands")
        if not isinstance(bands, list) or not bands or not all(isinstance(b, str) for b in bands):
            raise BadParameter("bands must be a non-empty list of band names", param="bands")
        # Without plevel, a band is checked against each product's level as it is cut
        # (a product has no asset for a band its level does not carry).
        bands = [
            parse_band(b, level, "bands") if level else _any_band(b) for b in dict.fromkeys(bands)
        ]
        delivery = chip_delivery.raw_chips_batch(
            user=request.user,
            ip=client_ip(request),
            lon=lon,
            lat=lat,
            product_ids=tiles,
            bands=bands,
            chipsize=parse_chipsize(params),
            level=level,
            background=get_bool(params, "async"),
        )
        return delivered(request, delivery)


class ChipJobStatus(APIView):
    """GET /query/jobs/<id>: status, done and total of a chip job, its result when over."""

    def get(self, request: Request, job_id: str) -> Response:
        job = chip_delivery.job_of(user=request.user, job_id=job_id)
        return Response(jobs.status(job, url=chip_delivery.job_url(job)))
