"""Quotas: requests per minute (per user and per IP) and chips cut per day (per user and IP).

Requests per minute are counted in the Django cache "quotas" (the "default" cache when there
is none): a fixed one-minute window per key, incremented atomically (Redis INCR in
production, a lock in the per-process LocMem cache of the demo). Chips cut per day are
summed from the request log, which already holds them (index on (user, time) / (ip, time));
the day is the calendar day in TIME_ZONE, so Retry-After points at local midnight.

A user's quota override (UserQuota) is read once and kept in the same cache, so the
per-request quota check makes no database query; saving or deleting an override clears it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import BaseCache, caches
from django.db import transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from common.errors import QuotaExceeded
from ops import log_writer
from ops.models import RequestLog, UserQuota

WINDOW_SECONDS = 60


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def quota_cache() -> BaseCache:
    return caches["quotas"] if "quotas" in settings.CACHES else caches["default"]


def count_hit(*, key: str, now: float | None = None) -> tuple[int, int]:
    """Count one request for `key` in the current minute: (count so far, seconds left)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"ops:rpm:{key}:{window}"
    cache = quota_cache()
    # Two windows' lifetime: the key outlives its minute even on a slow clock.
    if cache.add(cache_key, 1, timeout=2 * WINDOW_SECONDS):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=2 * WINDOW_SECONDS)
            count = 1
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return count, retry_after


@dataclass(frozen=True)
class Override:
    """A user's own limits (None: the site default; 0: no limit)."""

    requests_per_minute: int | None
    chips_per_day: int | None


NO_OVERRIDE = Override(None, None)
# How long a process may answer from the cached override without asking the database. Saves
# and deletes clear the entry at once (below); the expiry only bounds what a change made
# behind the ORM's back (raw SQL, QuerySet.update) takes to apply.
OVERRIDE_CACHE_SECONDS = 300


def _override_key(user_id: Any) -> str:
    return f"ops:quota-override:{user_id}"


# Where _override() keeps the user's override on the user object, for the request's span.
_OVERRIDE_ATTR = "_ops_quota_override"


def _override(user: AbstractBaseUser | AnonymousUser | None) -> Override:
    """The user's override, from the quota cache: no query per request (one per expiry)."""
    if user is None or not user.is_authenticated:
        return NO_OVERRIDE
    cached = getattr(user, _OVERRIDE_ATTR, None)
    if isinstance(cached, Override):
        return cached
    cache = quota_cache()
    key = _override_key(user.pk)
    override = cache.get(key)
    if not isinstance(override, Override):
        row = (
            UserQuota.objects.filter(user_id=user.pk)
            .values_list("requests_per_minute", "chips_per_day")
            .first()
        )
        override = Override(*row) if row else NO_OVERRIDE
        cache.set(key, override, OVERRIDE_CACHE_SECONDS)
    setattr(user, _OVERRIDE_ATTR, override)  # one look-up per request, however many checks
    return override


def forget_override(*, user_id: Any) -> None:
    """Drop the cached override now and again at commit: a reader between the two may have
    cached the old row, which the second delete clears."""
    cache = quota_cache()
    key = _override_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(post_save, sender=UserQuota, dispatch_uid="ops.quotas.override_saved")
@receiver(post_delete, sender=UserQuota, dispatch_uid="ops.quotas.override_deleted")
def _override_changed(sender: Any, instance: UserQuota, **kwargs: Any) -> None:
    forget_override(user_id=instance.user_id)


def user_requests_per_minute(user: AbstractBaseUser) -> int:
    """The user's limit; 0 means none."""
    override = _override(user)
    if override.requests_per_minute is not None:
        return override.requests_per_minute
    return _setting("QUOTA_REQUESTS_PER_MINUTE", 120)


def user_chips_per_day(user: AbstractBaseUser) -> int:
    override = _override(user)
    if override.chips_per_day is not None:
        return override.chips_per_day
    return _setting("QUOTA_CHIPS_PER_DAY", 2000)


@dataclass(frozen=True)
class RateState:
    """Where a requests-per-minute quota stands after this request: what the
    RateLimit-Limit / -Remaining / -Reset headers of a successful answer say."""

    limit: int
    remaining: int
    reset: int  # seconds until the window starts again

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={WINDOW_SECONDS}",
        }


def tightest(*states: RateState | None) -> RateState | None:
    """The quota closest to its limit: the one a client must pace itself by."""
    known = [s for s in states if s is not None]
    return min(known, key=lambda s: (s.remaining, -s.reset)) if known else None


def check_ip_request_rate(*, ip: str) -> RateState | None:
    """Count a /query/ request from `ip`; QuotaExceeded once over the per-IP limit."""
    limit = _setting("QUOTA_IP_REQUESTS_PER_MINUTE", 240)
    if not limit or not ip:
        return None
    count, retry_after = count_hit(key=f"ip:{ip}")
    if count > limit:
        raise QuotaExceeded(
            f"over the quota of {limit} requests per minute from {ip}; retry after {retry_after} s",
            retry_after=retry_after,
        )
    return RateState(limit, limit - count, retry_after)


def check_user_request_rate(*, user: AbstractBaseUser) -> RateState | None:
    limit = user_requests_per_minute(user)
    if not limit:
        return None
    count, retry_after = count_hit(key=f"user:{user.pk}")
    if count > limit:
        raise QuotaExceeded(
            f"over the quota of {limit} requests per minute for user {user.get_username()}; "
            f"retry after {retry_after} s",
            retry_after=retry_after,
        )
    return RateState(limit, limit - count, retry_after)


def _today_start(now: datetime) -> tuple[datetime, int]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Via the date, not +24 h: a day is 23 or 25 h long at the DST changes.
    tomorrow = start.date() + timedelta(days=1)
    next_start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    return start, max(1, math.ceil((next_start - now).total_seconds()))


def chips_cut_today(*, user_id: int | None = None, ip: str | None = None) -> int:
    log_writer.flush()  # the rows of this process's last requests count too
    start, _ = _today_start(timezone.now())
    rows = RequestLog.objects.filter(time__gte=start)
    rows = rows.filter(user_id=user_id) if user_id is not None else rows.filter(ip=ip)
    return rows.aggregate(total=Sum("chips_cut"))["total"] or 0


def check_chip_quota(
    *, user: AbstractBaseUser | AnonymousUser | None, ip: str, chips_to_cut: int
) -> None:
    """Before cutting: QuotaExceeded when `chips_to_cut` more would pass a daily quota.

    The chip views call this with the number of chips they are about to cut (cached ones
    do not count), after the per-request limit and before any work starts.
    """
    if chips_to_cut <= 0:
        return
    now = timezone.now()
    _, retry_after = _today_start(now)
    checks: list[tuple[str, int, dict[str, Any]]] = []
    if user is not None and user.is_authenticated:
        limit = user_chips_per_day(user)
        checks.append((f"user {user.get_username()}", limit, {"user_id": user.pk}))
    if ip:
        checks.append((ip, _setting("QUOTA_IP_CHIPS_PER_DAY", 4000), {"ip": ip}))
    for who, limit, key in checks:
        if not limit:
            continue
        used = chips_cut_today(**key)
        if used + chips_to_cut > limit:
            left = max(0, limit - used)
            raise QuotaExceeded(
                f"over the quota of {limit} chips cut per day for {who}: {used} cut today, "
                f"this request needs {chips_to_cut} new chips, {left} left; shorten the date "
                f"window or retry after midnight ({settings.TIME_ZONE})",
                retry_after=retry_after,
            )
