"""Test-only URL map: tiny /query/ and /dump/ views whose answers the tests control."""

from django.contrib import admin
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import BadParameter
from ops.accounting import record_chips
from ops.throttling import UserRequestRateThrottle


@api_view(["GET", "POST"])
@throttle_classes([UserRequestRateThrottle])
def probe(request: Request) -> Response:
    record_chips(
        request, cut=int(request.GET.get("cut", 0)), cached=int(request.GET.get("cached", 0))
    )
    body = request.data if request.method == "POST" else None
    return Response({"ok": True, "body": body})


@api_view(["GET"])
@throttle_classes([UserRequestRateThrottle])
def bad(request: Request) -> Response:
    raise BadParameter("lon must be a number between -180 and 180", param="lon")


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


def stream(request: HttpRequest, token: str, name: str) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"abc", b"defg"]), content_type="image/tiff")


def file(request: HttpRequest, token: str, name: str) -> FileResponse:
    return FileResponse(open(__file__, "rb"), content_type="text/plain")  # noqa: SIM115


urlpatterns = [
    path("admin/", admin.site.urls),
    path("query/probe", probe),
    path("query/bad", bad),
    path("query/ping", ping),
    path("dump/<str:token>/stream/<str:name>", stream),
    path("dump/<str:token>/<str:name>", file),
]
