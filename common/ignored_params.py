"""Query parameters an endpoint does not know are named in the answer, never refused.

CbM clients send extras (the `cbm` package adds its own keys; notebooks carry parameters of
other endpoints along), so an unknown parameter is no 400: the answer names the ones it
ignored in the `CbM-Ignored-Parameters` header (a comma-separated list, each name
percent-encoded as in a URL), on every /query/ answer, errors included. A script sees a
misspelt `start_dat` there instead of wondering why its window is the default one.

What an endpoint knows is what the published OpenAPI schema lists for it (drf-spectacular,
read once per process, in a quarter of a second), so the header and /api/schema/ never
disagree.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from urllib.parse import quote

from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEADER = "CbM-Ignored-Parameters"
QUERY_PREFIX = "/query/"
# DRF's format override (`?format=json`): every DRF view reads it.
ALWAYS_KNOWN = frozenset({"format"})
# A header is no archive: past this many names, the count of the rest.
MAX_NAMES = 20
MAX_NAME_CHARS = 64
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_lock = threading.Lock()


@functools.cache
def _known_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """{(schema path, method): query parameter names} of every operation in the schema."""
    from drf_spectacular.generators import SchemaGenerator  # needs the URL map loaded

    schema = SchemaGenerator().get_schema(request=None, public=True)
    known: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            known[(path, method.upper())] = frozenset(names) | ALWAYS_KNOWN
    return known


def known_parameters(route: str, method: str) -> frozenset[str] | None:
    """The query parameters the endpoint of a URL route (`query/jobs/<uuid:job_id>`) knows
    for `method` (HEAD and OPTIONS: as GET); None for a route the schema does not list."""
    with _lock:  # one schema per process, however many first requests arrive at once
        table = _known_parameters()
    path = "/" + _ROUTE_PARAM.sub(r"{\1}", route)
    method = "GET" if method in ("HEAD", "OPTIONS") else method
    return table.get((path, method))


def ignored(request: HttpRequest) -> list[str]:
    """The request's query parameter names its endpoint does not know, in request order."""
    match = request.resolver_match
    if match is None or not match.route:
        return []
    try:
        names = list(request.GET.keys())
    except TooManyFieldsSent:
        return []
    if not names:  # most requests: the schema is not even looked at
        return []
    known = known_parameters(match.route, request.method or "GET")
    if known is None:
        return []
    return [n for n in dict.fromkeys(names) if n not in known]


def header_value(names: list[str]) -> str:
    shown = [quote(n[:MAX_NAME_CHARS], safe="[]-._~") for n in names[:MAX_NAMES]]
    if len(names) > MAX_NAMES:
        shown.append(f"+{len(names) - MAX_NAMES} more")
    return ", ".join(shown)


class IgnoredParametersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith(QUERY_PREFIX):
            names = ignored(request)
            if names:
                response[HEADER] = header_value(names)
        return response
