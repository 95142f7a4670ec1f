"""Plain helpers of the ops tests: the middleware's name, RequestLog rows, the minute."""

from __future__ import annotations

import time
from datetime import datetime

from django.contrib.auth.models import User

from ops.models import RequestLog

MIDDLEWARE = "ops.middleware.RequestLogMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def request_log_row(
    when: datetime,
    *,
    user: User | None = None,
    ip: str = "198.51.100.1",
    status: int = 200,
    endpoint: str = "rawChipByLocation",
    cut: int = 0,
    cached: int = 0,
    size: int = 0,
    duration_ms: float = 12.5,
) -> RequestLog:
    """One GET logged at `when` (by `user`, or by nobody)."""
    return RequestLog.objects.create(
        time=when,
        ip=ip,
        user=user,
        username=user.username if user else "",
        method="GET",
        endpoint=endpoint,
        params={},
        status=status,
        duration_ms=duration_ms,
        chips_cut=cut,
        chips_cached=cached,
        bytes_sent=size,
    )


def fresh_window(margin: float = 5.0) -> None:
    """Wait for the next minute when this one is about to end: counters are per minute."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.05)
