"""API errors: one hierarchy, mapped to JSON answers in one place.

Every error answer is `{"error": "<what is wrong>", "param": "<name>"}` (param only when a
parameter is at fault). User input never causes a 500.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApiError(Exception):
    """Base of the errors a view may raise; `status_code` is the HTTP answer."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.param:
            body["param"] = self.param
        return body


class BadParameter(ApiError):
    """A parameter is missing or malformed (400)."""


class NotFound(ApiError):
    """An unknown dataset, parcel or file (404)."""

    status_code = status.HTTP_404_NOT_FOUND


class Forbidden(ApiError):
    """Outside the caller's AOI grant (403); never says whether the thing exists."""

    status_code = status.HTTP_403_FORBIDDEN


class TooManyRequests(ApiError):
    """Over a quota (429); `retry_after` seconds go into Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.retry_after = retry_after


class BackendUnavailable(ApiError):
    """The database, broker or archive is down (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


def error_response(exc: ApiError) -> Response:
    response = Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: our errors and DRF's own, all as `{"error": ...}` JSON."""
    if isinstance(exc, ApiError):
        return error_response(exc)
    if isinstance(exc, DatabaseError):
        return error_response(BackendUnavailable(f"database unavailable: {exc.__class__.__name__}"))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, dict):
            param, messages = next(iter(detail.items()), ("", ""))
            message = messages[0] if isinstance(messages, list) and messages else str(messages)
            response.data = {"error": f"{param}: {message}", "param": param}
        else:
            response.data = {"error": str(detail)}
    return response
