"""HTTP answers of domain errors: the one table of statuses and the one function that
answers an error, as JSON (API clients) or as the HTML error page (browsers on the pages),
with Retry-After (and Allow) where the error carries one.

Three callers, one function: DRF views (through `api_exception_handler`, the
EXCEPTION_HANDLER setting), the composite pages (views with `error_pages = True`) and plain
Django code outside DRF (the request-log middleware's quota, /dump/).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import (
    BackendUnavailable,
    BadParameter,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    ServiceError,
)
from .negotiation import is_browser

log = logging.getLogger(__name__)

# In the manner of titiler's DEFAULT_STATUS_CODES: the most specific class listed wins; an
# error no class of which is listed is the server's fault (500: its traceback logged, the
# client told nothing of it).
STATUS_CODES: dict[type[ServiceError], int] = {
    BadParameter: 400,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    PayloadTooLarge: 413,
    QuotaExceeded: 429,
    BackendUnavailable: 503,
}
DEFAULT_STATUS = 500
# What a client is told of an unmapped error (the same words as handler500's).
INTERNAL_ERROR = "internal error"

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}
ERROR_PAGE = "error_page.html"

Style = Literal["api", "page", "plain"]


def status_of(exc: ServiceError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return DEFAULT_STATUS


def error_response(
    exc: ServiceError, *, request: HttpRequest | None = None, style: Style = "plain"
) -> HttpResponse:
    """The answer to `exc`. "api": a DRF Response, rendered by the view's renderer as the
    rest of the API; "page": the HTML error page for a browser (Accept names HTML), JSON for
    everyone else (`*/*` too); "plain":
    JSON outside DRF."""
    status = status_of(exc)
    if status == DEFAULT_STATUS:
        # Unmapped: a bug, not the client's doing. The traceback goes to the log; the answer
        # carries nothing of the exception (its message may name paths or internals).
        log.error("unmapped %s answered %d", type(exc).__name__, status, exc_info=exc)
        exc = ServiceError(INTERNAL_ERROR)
    response: HttpResponse
    if style == "api":
        response = Response(exc.as_dict(), status=status)
    elif style == "page" and request is not None and is_browser(request):
        response = _error_page(request, exc, status)
    else:
        response = JsonResponse(exc.as_dict(), status=status)
    if isinstance(exc, QuotaExceeded):
        response["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, MethodNotAllowed):
        response["Allow"] = ", ".join(exc.allowed)
    return response


def _error_page(request: HttpRequest, exc: ServiceError, status: int) -> HttpResponse:
    context: dict[str, Any] = {
        "status": status,
        "title": exc.title or TITLES.get(status, "The request failed"),
        "message": exc.message,
        "param": exc.param,
    }
    if exc.hint:
        context["hint"] = exc.hint
    if exc.retry_params:
        query = QueryDict(mutable=True)
        query.update(request.GET)
        for name, value in exc.retry_params.items():
            query[name] = value
        context["retry_url"] = f"{request.path}?{query.urlencode()}"
    return render(request, ERROR_PAGE, context, status=status)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF exception handler: our errors and DRF's own, all as `{"error": ...}` JSON (the
    HTML error page on the composite pages, for browsers)."""
    exc = domain_error(exc)
    if isinstance(exc, ServiceError):
        page = getattr(context.get("view"), "error_pages", False)
        request = context.get("request")
        http_request = getattr(request, "_request", request)
        return error_response(exc, request=http_request, style="page" if page else "api")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, dict):
            param, messages = next(iter(detail.items()), ("", ""))
            message = messages[0] if isinstance(messages, list) and messages else str(messages)
            response.data = {"error": f"{param}: {message}", "param": param}
        elif isinstance(exc, exceptions.ParseError):
            response.data = {"error": str(detail), "param": "body"}
        else:
            response.data = {"error": str(detail)}
    request = getattr(context.get("request"), "_request", None)
    if getattr(context.get("view"), "error_pages", False) and not (
        isinstance(request, HttpRequest) and is_browser(request)
    ):
        # A page's renderer may be the HTML one (format=html): DRF's own errors (401, 405)
        # still answer JSON to all but browsers, as the page's other errors do.
        answer = JsonResponse(response.data, status=response.status_code)
        for name, value in response.items():
            if name.lower() != "content-type":
                answer[name] = value
        return answer
    return response


def domain_error(exc: Exception) -> Exception:
    """The domain error an exception of Django's stands for (the database down, a body or a
    query over Django's upload limits); any other exception as it is."""
    if isinstance(exc, DatabaseError):
        return BackendUnavailable(f"database unavailable: {exc.__class__.__name__}")
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return PayloadTooLarge(f"the body is over {limit} bytes", param="body")
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return BadParameter(f"more than {limit} parameters")
    return exc
