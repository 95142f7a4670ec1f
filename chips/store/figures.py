"""What the chip cache admin shows above its list: what the store holds (records, the files
behind them, per client and overall), the free disk under it and when the nightly flush
runs next. Read-only; the flushes themselves are chips.store.cache's."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone

from chips.models import CachedChip


@dataclass(frozen=True)
class ClientTotal:
    """One client (a user from one address): its caches, the files it holds, their bytes."""

    username: str
    ip: str
    caches: int
    files: int
    bytes: int


@dataclass(frozen=True)
class StoreTotals:
    """The whole cache. `files`/`bytes` count what clients hold (a file two clients hold
    counts twice); `stored_files`/`stored_bytes` count the store's files once each."""

    caches: int
    files: int
    bytes: int
    stored_files: int
    stored_bytes: int


def client_totals(limit: int = 20) -> list[ClientTotal]:
    """The heaviest clients first, by bytes held."""
    rows = (
        CachedChip.objects.values("cache__user__username", "cache__ip")
        .annotate(caches=Count("cache", distinct=True), files=Count("id"), bytes=Sum("size_bytes"))
        .order_by("-bytes", "cache__user__username", "cache__ip")[:limit]
    )
    return [
        ClientTotal(r["cache__user__username"], r["cache__ip"], r["caches"], r["files"], r["bytes"])
        for r in rows
    ]


def store_totals() -> StoreTotals:
    held = CachedChip.objects.aggregate(
        caches=Count("cache", distinct=True), files=Count("id"), bytes=Sum("size_bytes")
    )
    # One row per store file (clients share files by content address).
    stored = (
        CachedChip.objects.values("stored_path")
        .annotate(size=Max("size_bytes"))
        .aggregate(files=Count("stored_path"), bytes=Sum("size"))
    )
    return StoreTotals(
        caches=held["caches"],
        files=held["files"],
        bytes=held["bytes"] or 0,
        stored_files=stored["files"] or 0,
        stored_bytes=stored["bytes"] or 0,
    )


@dataclass(frozen=True)
class Disk:
    total: int
    free: int


def store_disk() -> Disk | None:
    """The disk under CHIP_STORE (its nearest existing folder: the store is made on first
    use); None if none can be read."""
    path = Path(settings.CHIP_STORE)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return Disk(total=usage.total, free=usage.free)


def next_flush(now: dt.datetime | None = None) -> dt.datetime:
    """When Celery beat runs the nightly flush next: CHIP_CACHE_FLUSH_HOUR:MINUTE in
    CELERY_TIMEZONE (the schedule's own clock: local midnight stays midnight across the
    daylight-saving changes)."""
    zone = ZoneInfo(str(settings.CELERY_TIMEZONE))
    local = (now or timezone.now()).astimezone(zone)
    at = dt.time(settings.CHIP_CACHE_FLUSH_HOUR, settings.CHIP_CACHE_FLUSH_MINUTE)
    day = local.date() if local.time() < at else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, at, tzinfo=zone)
