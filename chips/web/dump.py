"""/dump/<token>/<file>: cached chip files, without credentials (the CbM client downloads
them that way). Only a file recorded for that token is served; anything else is 404."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse

from chips.cache import dump_file
from common.errors import NotFound
from common.http_errors import error_response
from ops.accounting import record_owner

# What the cache ever names: <product>.<band>.tif (raw) or <product>.png (composites).
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)*\.(tif|png)$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CONTENT_TYPES = {"tif": "image/tiff", "png": "image/png"}


def not_found() -> HttpResponse:
    return error_response(NotFound("no such file in this cache"))


def serve(request: HttpRequest, token: str, file_name: str) -> HttpResponse:
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
    response = FileResponse(handle, content_type=CONTENT_TYPES[file_name.rsplit(".", 1)[1]])
    # The token is a credential of sorts: keep the file out of shared caches.
    response["Cache-Control"] = "private, max-age=3600"
    return response
