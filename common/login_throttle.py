"""Failed-login throttling, checked before any password hash runs.

A password check costs about half a second of PBKDF2: a flood of wrong passwords from one
address would keep every core busy. Failures are counted in fixed windows of
LOGIN_FAILURE_WINDOW_SECONDS on the shared cache "quotas" (Redis in production, so every
web process sees them): per client address (any user name, LOGIN_FAILURES_PER_IP) and per
user name *from that address* (LOGIN_FAILURES_PER_USER). Past either, an attempt from that
address is refused with QuotaExceeded (429, Retry-After) without hashing. The count per
user name is kept per address so that a flood against a user from one address never locks
that user out from another. 0 switches a limit off.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import caches

from common.errors import QuotaExceeded

log = logging.getLogger(__name__)


def _window() -> int:
    return max(1, int(settings.LOGIN_FAILURE_WINDOW_SECONDS))


def _keys(*, username: str, ip: str, now: float) -> tuple[str, str]:
    window = int(now // _window())
    user = hashlib.sha256(f"{username}\0{ip}".encode()).hexdigest()[:32]
    return f"cbmweb:loginfail:ip:{ip}:{window}", f"cbmweb:loginfail:user:{user}:{window}"


def _retry_after(now: float) -> int:
    return max(1, math.ceil((int(now // _window()) + 1) * _window() - now))


def check(*, username: str, ip: str) -> None:
    """Refuse (QuotaExceeded) an attempt from an address past its failure limits."""
    now = time.time()
    ip_key, user_key = _keys(username=username, ip=ip, now=now)
    counts = caches["quotas"].get_many([ip_key, user_key])
    per_ip, per_user = settings.LOGIN_FAILURES_PER_IP, settings.LOGIN_FAILURES_PER_USER
    if per_ip and counts.get(ip_key, 0) >= per_ip:
        what = f"too many failed logins from {ip or 'this address'}"
    elif per_user and counts.get(user_key, 0) >= per_user:
        what = f"too many failed logins for {username!r} from {ip or 'this address'}"
    else:
        return
    retry = _retry_after(now)
    log.warning("login refused before the password check: %s (user %r)", what, username)
    raise QuotaExceeded(f"{what}; retry after {retry} s", retry_after=retry)


def failed(*, username: str, ip: str) -> None:
    """Count a wrong password (or an unknown user name) from `ip`."""
    now = time.time()
    cache = caches["quotas"]
    counts = []
    for key in _keys(username=username, ip=ip, now=now):
        if cache.add(key, 1, timeout=2 * _window()):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=2 * _window())
            counts.append(1)
    log.warning(
        "failed login for %r from %s (%d failures from this address, %d for this name)",
        username, ip, *counts,
    )  # fmt: skip


def succeeded(*, username: str, ip: str) -> None:
    """A right password: the count for this name from this address starts again."""
    caches["quotas"].delete(_keys(username=username, ip=ip, now=time.time())[1])
