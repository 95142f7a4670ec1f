"""What the views tell the request log: chips cut and served from cache, and who owns a file.

The contract with the chip views: after cutting, call
    record_chips(request, cut=<chips cut by this request>, cached=<chips served from cache>)
(or set `cbm_chips_cut` / `cbm_chips_cached`, integers, on the Django HttpRequest). The
/dump/ view, which has no credentials, may call record_owner(request, user_id=...) with the
cache's owner so file downloads count for that user. RequestLogMiddleware reads these after
the view returns; absent, they are 0 / no user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from rest_framework.request import Request

# The attributes RequestLogMiddleware reads (getattr): an HttpRequest has no such fields.
CHIPS_CUT = "cbm_chips_cut"
CHIPS_CACHED = "cbm_chips_cached"
LOG_USER_ID = "cbm_log_user_id"


def _http_request(request: HttpRequest | Request) -> HttpRequest:
    # A DRF Request stores attributes on itself, not on the HttpRequest the middleware sees.
    http_request: HttpRequest = getattr(request, "_request", request)
    return http_request


def record_chips(request: HttpRequest | Request, *, cut: int, cached: int) -> None:
    http_request = _http_request(request)
    setattr(http_request, CHIPS_CUT, int(cut))
    setattr(http_request, CHIPS_CACHED, int(cached))


def record_owner(request: HttpRequest | Request, *, user_id: int) -> None:
    setattr(_http_request(request), LOG_USER_ID, int(user_id))
