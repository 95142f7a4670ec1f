"""What the views tell the request log: chips cut and served from cache, and who owns a file.

The contract with the chip views: after cutting, call
    record_chips(request, cut=<chips cut by this request>, cached=<chips served from cache>)
(or set `cbm_chips_cut` / `cbm_chips_cached`, integers, on the Django HttpRequest). The
/dump/ view, which has no credentials, may call record_owner(request, user_id=...) with the
cache's owner so file downloads count for that user. RequestLogMiddleware reads these after
the view returns; absent, they are 0 / no user.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def _http_request(request: Any) -> HttpRequest:
    # A DRF Request stores attributes on itself, not on the HttpRequest the middleware sees.
    return getattr(request, "_request", request)


def record_chips(request: Any, *, cut: int, cached: int) -> None:
    http_request = _http_request(request)
    http_request.cbm_chips_cut = int(cut)
    http_request.cbm_chips_cached = int(cached)


def record_owner(request: Any, *, user_id: int) -> None:
    _http_request(request).cbm_log_user_id = int(user_id)
