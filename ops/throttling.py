"""DRF throttle for the per-user requests-per-minute quota (REST_FRAMEWORK setting).

Its own module, importing no project code at import time: DRF imports the throttle classes
named in settings while `rest_framework.views` loads, before common.http_errors can be imported.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import BaseThrottle

# Where the user's quota state waits for the request-log middleware (RateLimit-* headers).
USER_RATE_STATE = "_ops_user_rate_state"


class UserRequestRateThrottle(BaseThrottle):
    """The per-user requests-per-minute quota, after authentication, before the handler.

    HTTP Basic is checked inside DRF, so the middleware does not know the user yet. Over
    the limit it raises common.errors.QuotaExceeded, which the API exception handler
    answers as 429 JSON with Retry-After.
    """

    def allow_request(self, request: Any, view: Any) -> bool:
        from ops.quotas import check_user_request_rate

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            state = check_user_request_rate(user=user)
            setattr(request._request, USER_RATE_STATE, state)
        return True
