"""/dump/<token>/<file>: cached chip files, without credentials (the CbM client downloads
them that way). Only a file recorded for that token is served; anything else is 404. Also
its entry in the OpenAPI schema (a drf-spectacular hook)."""

from __future__ import annotations

import re
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from chips.cache import dump_file
from common.errors import MethodNotAllowed, NotFound
from common.http_errors import error_response
from common.schema import ERROR_COMPONENT, ERROR_SCHEMA
from ops.accounting import record_owner

# What the cache ever names: <product>.<band>.tif (raw) or <product>.png (composites).
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)*\.(tif|png)$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CONTENT_TYPES = {"tif": "image/tiff", "png": "image/png"}
# Only these serve the file (Django's handler answers HEAD without the body).
ALLOWED_METHODS = ("GET", "HEAD")


def not_found() -> HttpResponse:
    return error_response(NotFound("no such file in this cache"))


@csrf_exempt  # it never changes anything: any other method than GET/HEAD is a 405 JSON
def serve(request: HttpRequest, token: str, file_name: str) -> HttpResponse | FileResponse:
    if request.method not in ALLOWED_METHODS:
        return error_response(
            MethodNotAllowed(f"{request.method} is not served here", allowed=ALLOWED_METHODS)
        )
    if not TOKEN.match(token) or not FILE_NAME.match(file_name):
        return not_found()
    found = dump_file(token=token, file_name=file_name)
    if found is None:
        return not_found()
    # The download counts for the user whose cache it is (the request has no credentials).
    record_owner(request, user_id=found.owner_id)
    try:
        handle = found.path.open("rb")
    except FileNotFoundError:  # flushed between the look-up and the open
        return not_found()
    # Named as the URL names it (<product>.<band>.tif), not as the store names the file.
    response = FileResponse(
        handle, content_type=CONTENT_TYPES[file_name.rsplit(".", 1)[1]], filename=file_name
    )
    # The token is a credential of sorts: keep the file out of shared caches.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def add_to_schema(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS: publish GET /dump/{token}/{file_name} (this view
    is plain Django, outside DRF, to stay fast; so the generator does not see it)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    error = {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
    result["paths"]["/dump/{token}/{file_name}"] = {
        "get": {
            "operationId": "dump_retrieve",
            "description": "A file of a client's chip cache, at the path a chip answer lists: "
            "a raw chip `<product>.<band>.tif` (GeoTIFF) or a composite `<product>.png`. "
            "No credentials: the token is the secret. A flushed file answers 404.",
            "parameters": [
                _path_parameter("token", TOKEN, "the cache's token, from a chip answer"),
                _path_parameter("file_name", FILE_NAME, "<product>.<band>.tif or <product>.png"),
            ],
            "tags": ["dump"],
            "security": [],
            "responses": {
                "200": {
                    "description": "the file",
                    "content": dict.fromkeys(CONTENT_TYPES.values(), binary),
                },
                "404": {
                    "description": "no such file in this cache",
                    "content": {"application/json": error},
                },
            },
        }
    }
    return result


def _path_parameter(name: str, pattern: re.Pattern[str], description: str) -> dict[str, Any]:
    schema = {"type": "string", "pattern": pattern.pattern}
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": schema,
    }
