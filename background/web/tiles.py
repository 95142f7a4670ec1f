"""GET /background/tiles/<name>/<z>/<x>/<y>.png: a background source as XYZ map tiles for the
browser's map (Leaflet), under the same sign-in and AOI rules as the API; made once, then
served from the source's tile folder."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from background.flow import map_tile
from background.models import NAME_PATTERN
from background.sources import resolve
from background.web.renderers import JsonErrorsView, PngRenderer
from common.errors import BadParameter, NotFound
from common.schema import error_responses

MAX_ZOOM = 24


def _path(name: str, schema: dict[str, object], text: str) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=text)


@extend_schema(
    parameters=[
        _path("name", {"type": "string", "pattern": NAME_PATTERN}, "a background source"),
        _path("z", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}, "zoom level"),
        _path("x", {"type": "integer", "minimum": 0, "maximum": 2**MAX_ZOOM - 1}, "column"),
        _path("y", {"type": "integer", "minimum": 0, "maximum": 2**MAX_ZOOM - 1}, "row"),
    ],
    description="A 256 px XYZ tile (PNG, transparent where the source has no data) of a "
    "background source the caller may use.",
    responses={
        (200, "image/png"): OpenApiResponse(bytes, description="the tile"),
        **error_responses(400, 401, 404, 429, 503),
    },
)
class BackgroundTile(JsonErrorsView):
    renderer_classes = [JSONRenderer, PngRenderer]
    http_method_names = ["get"]

    def get(self, request: Request, name: str, z: int, x: int, y: int) -> FileResponse:
        if z > MAX_ZOOM:
            raise NotFound(f"no zoom level {z}")
        try:
            source = resolve(request.user, name)
        except BadParameter:  # unknown, or not the caller's: no such tile set
            raise NotFound(f"no background source {name!r}") from None
        path = map_tile(source, z, x, y)
        response = FileResponse(path.open("rb"), content_type="image/png")
        # Per user (AOI rules): browsers may keep it, shared caches not.
        response["Cache-Control"] = "private, max-age=86400"
        return response
