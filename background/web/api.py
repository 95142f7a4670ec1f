"""GET /query/backgroundByLocation and /query/backgroundByParcelID: validate, resolve the
source (background.sources), make or reuse the image (background.flow); with iformat=tif or
raw the absolute /dump/ URL as text/plain (what the CbM client downloads), else a page."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry
from django.http import HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request

from background.flow import BackgroundImage, background_image
from background.models import BackgroundSource
from background.sources import resolve
from background.web import serializers as s
from background.web.renderers import JsonErrorsView, PlainTextRenderer
from common.schema import error_responses
from ops.client_ip import client_ip
from parcels.selectors import parcel_get

ANSWERS = {
    (200, "text/plain"): OpenApiResponse(
        str, description="iformat=tif or raw=True: the absolute URL of the file"
    ),
    (200, "text/html"): OpenApiResponse(str, description="a page showing the image"),
}


class BackgroundView(JsonErrorsView):
    # The answers are built here (text or a page); the renderers only let content
    # negotiation accept what clients send (JSON first: errors answer JSON).
    renderer_classes = [JSONRenderer, TemplateHTMLRenderer, PlainTextRenderer]
    http_method_names = ["get"]

    def answer(
        self,
        request: Request,
        values: dict[str, Any],
        *,
        lon: float,
        lat: float,
        outline: GEOSGeometry | None = None,
        heading: str,
    ) -> HttpResponse:
        source = resolve(request.user, values["tms"])
        image = background_image(
            user=cast(User, request.user),
            ip=client_ip(request),
            source=source,
            lon=lon,
            lat=lat,
            chipsize=values["chipsize"],
            extend=values["extend"],
            iformat=values["iformat"],
            outline=outline if values["iformat"] == "png" else None,
        )
        absolute = request.build_absolute_uri(image.url)
        if values["iformat"] == "tif" or values["raw"]:
            return HttpResponse(absolute, content_type="text/plain; charset=utf-8")
        return _page(request, source, image, heading=heading, values=values)


def _page(request: Request, source: BackgroundSource, image: BackgroundImage, *,
          heading: str, values: dict[str, Any]) -> HttpResponse:  # fmt: skip
    return render(
        request._request,
        "background/image.html",
        {
            "heading": heading,
            "src": image.url,
            "source": source,
            "size": values["chipsize"],
            "extend": values["extend"],
        },
    )


@extend_schema(
    description="An RGB image (EPSG:3857) of `chipsize` px over `extend` m around lon/lat from "
    "a background source. iformat=tif or raw=True: the absolute /dump/ URL of the file "
    "(text/plain), downloadable without credentials; else an HTML page showing it.",
    parameters=[s.BackgroundByLocationQuery],
    responses={**ANSWERS, **error_responses(400, 401, 429, 503)},
)
class BackgroundByLocation(BackgroundView):
    def get(self, request: Request) -> HttpResponse:
        values = s.BackgroundByLocationQuery.validated(request.query_params)
        lon, lat = values["lon"], values["lat"]
        return self.answer(request, values, lon=lon, lat=lat,
                           heading=f"Background at {lon:.5f}, {lat:.5f}")  # fmt: skip


@extend_schema(
    description="As backgroundByLocation, centred on the parcel's centroid; withGeometry=True "
    "draws the parcel's outline on a PNG.",
    parameters=[s.BackgroundByParcelQuery],
    responses={**ANSWERS, **error_responses(400, 401, 403, 404, 429, 503)},
)
class BackgroundByParcelId(BackgroundView):
    def get(self, request: Request) -> HttpResponse:
        values = s.BackgroundByParcelQuery.validated(request.query_params)
        parcel = parcel_get(user=request.user, key=values["dataset"], pid=values["pid"])
        centre = parcel.centroid
        outline = parcel.geom if values["with_geometry"] else None
        return self.answer(request, values, lon=centre.x, lat=centre.y, outline=outline,
                           heading=f"Background of parcel {parcel.pid}")  # fmt: skip
