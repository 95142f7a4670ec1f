"""Pruning: request log rows older than REQUEST_LOG_RETENTION_DAYS are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ops.models import RequestLog


def retention_days() -> int:
    return int(settings.REQUEST_LOG_RETENTION_DAYS)


def request_log_prune(*, days: int | None = None, now: datetime | None = None) -> int:
    """Delete rows that arrived more than `days` (default: the setting) ago; the count."""
    days = retention_days() if days is None else days
    if days < 1:
        raise ValueError(f"retention must be at least one day, not {days}")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    # Nothing points at RequestLog and it has no signals: Django issues one DELETE.
    deleted, _ = RequestLog.objects.filter(time__lt=cutoff).delete()
    return deleted
