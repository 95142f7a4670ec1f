"""Answers made outside the views: Django's handler400/404/500 and the database-outage
middleware. Under /query/ and /dump/ they answer JSON in the contract's shape (`{"error",
"param"}`); elsewhere the site's pages (Django's own for 400/404, the error page for 503).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views import defaults

from .errors import BackendUnavailable, BadParameter, NotFound, ServiceError
from .http_errors import domain_error, error_response

JSON_PREFIXES = ("/query/", "/dump/", "/background/tiles/")  # the map tiles: for scripts too


def _json_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(JSON_PREFIXES)


def _answer(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """JSON under /query/ and /dump/; the HTML error page (JSON for scripts) elsewhere."""
    return error_response(exc, request=request, style="plain" if _json_path(request) else "page")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's SuspiciousOperations (a body or a query over the upload limits:
    413 and 400 JSON naming what is at fault)."""
    exc = domain_error(exception)
    if _json_path(request):
        return _answer(request, exc if isinstance(exc, ServiceError) else BadParameter(str(exc)))
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an unknown /query/ path (or a job id that is no uuid) answers JSON."""
    if _json_path(request):
        return _answer(request, NotFound(f"no such endpoint: {request.path_info[:200]}"))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500, the last resort (DEBUG off): the database down is a 503 everywhere, any
    other failure a 500, JSON under /query/ and /dump/."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DatabaseError):
        return _answer(request, BackendUnavailable("database unavailable"))
    if _json_path(request):
        return JsonResponse({"error": "internal error"}, status=500)
    return defaults.server_error(request)


class DatabaseUnavailableMiddleware:
    """A DatabaseError a plain Django view lets out (/dump/, the front page; DRF views answer
    their own through common.http_errors) is a 503 in the contract's shape, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError):
            return _answer(request, BackendUnavailable("database unavailable"))
        return None
