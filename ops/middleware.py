"""The request log: one row for every /query/ and /dump/ request, and the per-IP rate quota.

One row per request, queued when the server closes the response (after the answer has been
sent) and written in batches off the request path (ops.log_writer), and no other query;
/query/ requests also count one quota hit in the cache. The user is the one the view
authenticated (DRF copies it onto the HttpRequest) or, for session users, the one
AuthenticationMiddleware already loaded; the middleware never loads a session or a user just
to log it.

Chip counts come from the views: see ops.accounting (`request.cbm_chips_cut`,
`request.cbm_chips_cached`, integers, default 0).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from common.errors import QuotaExceeded
from common.http_errors import error_response
from common.parsers import MAX_DEPTH, json_depth
from ops import log_writer
from ops.accounting import CHIPS_CACHED, CHIPS_CUT, LOG_USER_ID
from ops.client_ip import client_ip
from ops.quotas import RateState, check_ip_request_rate, tightest
from ops.throttling import USER_RATE_STATE

logger = logging.getLogger(__name__)

QUERY_PREFIX = "/query/"
DUMP_PREFIX = "/dump/"
# Parameter names never stored, whatever the endpoint.
SECRET_KEYS = re.compile(r"pass|pwd|secret|token|auth|session|csrf|api_?key", re.IGNORECASE)
# A JSON body (polygon, batch) is kept, but no value longer than this: the log is no archive.
MAX_VALUE_CHARS = 300
MAX_JSON_BODY = 256 * 1024
# Set on the HttpRequest of every logged request: the client's address, as the log has it.
CLIENT_IP = "cbm_client_ip"


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if SECRET_KEYS.search(str(key)):
            continue
        text = json.dumps(value, default=str)
        kept[str(key)[:64]] = value if len(text) <= MAX_VALUE_CHARS else f"<{len(text)} chars>"
    return kept


def _query_params(request: HttpRequest) -> dict[str, Any]:
    """What the log keeps of the request's parameters. Never raises: it runs before
    authentication, on any input (the view answers what is wrong with it)."""
    try:
        params: dict[str, Any] = {
            key: values[0] if len(values) == 1 else values for key, values in request.GET.lists()
        }
    except TooManyFieldsSent:
        return {}
    if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/json":
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        # Reading .body here keeps it readable for the view (Django caches it).
        if 0 < size <= MAX_JSON_BODY:
            try:
                body = json.loads(request.body)
            except (ValueError, RecursionError, RawPostDataException, RequestDataTooBig):
                body = None
            # A deeply nested body is the view's to refuse; the log keeps none of it.
            if isinstance(body, dict) and json_depth(body) <= MAX_DEPTH:
                params.update({f"body.{key}": value for key, value in body.items()})
    return _clean(_loggable(params))


def _loggable(value: Any) -> Any:
    """`value` as PostgreSQL's JSON takes it: NUL characters dropped from its texts, NaN and
    infinities as text (else the row would be lost; its depth is bounded by the caller)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_loggable(k): _loggable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loggable(v) for v in value]
    return value


def _attempted_username(request: HttpRequest) -> str:
    """The name a Basic header carries (never its password); "" without one."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
    return decoded.partition(":")[0][:150]


def _logged_user(request: HttpRequest) -> AbstractBaseUser | None:
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        # Nobody looked at the session user: do not load it just for the log.
        wrapped = user._wrapped  # type: ignore[attr-defined]  # private to LazyObject, unstubbed
        user = None if wrapped is empty else wrapped
    if isinstance(user, AbstractBaseUser) and user.is_authenticated:
        return user
    return None


class _CountingStream:
    """Counts the bytes of a streamed answer and logs the request when it is closed."""

    def __init__(self, inner: Any, on_close: Callable[[int], None]) -> None:
        self._inner = inner
        self._iterator: Iterator[bytes] = iter(inner)
        self._on_close = on_close
        self._closed = False
        self.size = 0

    def __iter__(self) -> _CountingStream:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._iterator)
        self.size += len(chunk)
        return chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
        self._on_close(self.size)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if path.startswith(QUERY_PREFIX):
            endpoint = path[len(QUERY_PREFIX) :].split("/", 1)[0][:64]
            params = _query_params(request)
        elif path.startswith(DUMP_PREFIX):
            endpoint = "dump"
            # The token in the path opens the cache: keep only the file name.
            params = {"file": path.rstrip("/").rsplit("/", 1)[-1][:200]}
        else:
            return self.get_response(request)

        arrived = timezone.now()
        started = time.perf_counter()
        ip = client_ip(request)
        setattr(request, CLIENT_IP, ip)
        response: HttpResponseBase
        ip_rate: RateState | None = None
        try:
            if endpoint != "dump":
                ip_rate = check_ip_request_rate(ip=ip)
        except QuotaExceeded as exc:
            response = error_response(exc)
        else:
            response = self.get_response(request)
            if response.status_code < 400:
                # Successful answers say where the quotas stand (the IETF RateLimit
                # header fields); a 429 says it with Retry-After.
                rate = tightest(ip_rate, getattr(request, USER_RATE_STATE, None))
                for name, value in (rate.headers() if rate else {}).items():
                    response[name] = value

        def write(bytes_sent: int | None) -> None:
            self._write(request, response, arrived, started, ip, endpoint, params, bytes_sent)

        size: int | None = None
        if response.has_header("Content-Length"):
            size = int(response["Content-Length"])
        elif isinstance(response, HttpResponse):  # not streaming: the body is all here
            size = len(response.content)
        if size is not None:
            # The INSERT runs when the server closes the response, after the body has gone
            # out: the client does not wait for the log. (_resource_closers is how Django
            # itself closes files on close(); no public hook runs per response.)
            closers = getattr(response, "_resource_closers", None)
            if closers is None:
                write(size)
            else:
                closers.append(lambda: write(size))
        elif getattr(response, "is_async", False):
            write(None)  # async streams are not counted here
        elif isinstance(response, StreamingHttpResponse):
            # Known only once sent: the row is written when the server closes the response.
            response.streaming_content = _CountingStream(response.streaming_content, write)
        return response

    @staticmethod
    def _write(
        request: HttpRequest,
        response: HttpResponseBase,
        arrived: datetime,
        started: float,
        ip: str,
        endpoint: str,
        params: dict[str, Any],
        bytes_sent: int | None,
    ) -> None:
        user = _logged_user(request)
        user_id = user.pk if user is not None else getattr(request, LOG_USER_ID, None)
        username = user.get_username() if user is not None else _attempted_username(request)
        # Queued, written in a batch by the log writer's thread (ops.log_writer).
        log_writer.WRITER.put(
            {
                "time": arrived,
                "ip": ip or None,
                "user": user_id,
                "username": username,
                "method": (request.method or "")[:7],
                "endpoint": endpoint,
                "params": params,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "chips_cut": int(getattr(request, CHIPS_CUT, 0) or 0),
                "chips_cached": int(getattr(request, CHIPS_CACHED, 0) or 0),
                "bytes_sent": bytes_sent,
            }
        )
