"""Authentication shared by the /query/ endpoints.

The CbM client sends HTTP Basic credentials with every request. Checking a password with
Django's hasher (PBKDF2, a million rounds) costs about half a second here, which would
dominate every warm chip request; so a verified (user, password) pair is remembered for a
few minutes, keyed by an HMAC of the pair under SECRET_KEY (the password itself is never
stored). The entry also holds the user's stored password hash: a password change, or a
deactivated account, invalidates it at once.

Failed logins are throttled per client address and per user name (common.login_throttle)
before the password hash runs: a wrong-password flood answers 429 instead of hashing.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from rest_framework import authentication, exceptions

from common import login_throttle

CREDENTIALS_CACHE_SECONDS = 300
# Where ops.middleware.RequestLogMiddleware leaves the client address (TRUSTED_PROXIES read)
# on every /query/ request; REMOTE_ADDR elsewhere.
CLIENT_IP_ATTRIBUTE = "cbm_client_ip"


def request_ip(request: Any) -> str:
    ip = getattr(request, CLIENT_IP_ATTRIBUTE, None) if request is not None else None
    if ip is None and request is not None:
        ip = request.META.get("REMOTE_ADDR", "")
    return str(ip or "")


def _cache_key(userid: str, password: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), "sha256")
    return "cbmweb:basic:" + mac.hexdigest()


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic, as the CbM client sends it; 401 names the realm the clients expect."""

    www_authenticate_realm = "cbmweb"

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[Any, None]:
        cache = caches["default"]
        key = _cache_key(userid, password)
        remembered = cache.get(key)
        if remembered is not None:
            user_pk, password_hash = remembered
            found = get_user_model().objects.filter(pk=user_pk, is_active=True).order_by()[:1]
            user = next(iter(found), None)
            if user is not None and hmac.compare_digest(user.password, password_hash):
                return user, None
            cache.delete(key)
        ip = request_ip(request)
        login_throttle.check(username=userid, ip=ip)  # before the hash: a flood costs nothing
        try:
            user, _ = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            login_throttle.failed(username=userid, ip=ip)
            raise
        login_throttle.succeeded(username=userid, ip=ip)
        cache.set(key, (user.pk, user.password), CREDENTIALS_CACHE_SECONDS)
        return user, None
