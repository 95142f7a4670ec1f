"""GET /background/tiles/<name>/<z>/<x>/<y>.png: a background source as XYZ map tiles for the
browser's map (Leaflet), under the same sign-in and AOI rules as the API; made once, then
served from the source's tile folder."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from background.flow import map_tile
from background.sources import resolve
from background.web.renderers import JsonErrorsView, PngRenderer
from common.errors import BadParameter, NotFound
from common.schema import error_responses


@extend_schema(
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
        if z > 24:
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
