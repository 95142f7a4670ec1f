"""Selectors for the daily usage page: per user and per IP, heaviest first, and per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ops.models import RequestLog

# Heaviest first: chips cut are what costs, then requests, then bytes.
ORDERINGS = {
    "chips": ("-chips_cut", "-requests", "-bytes_sent"),
    "requests": ("-requests", "-chips_cut", "-bytes_sent"),
    "bytes": ("-bytes_sent", "-chips_cut", "-requests"),
    "errors": ("-errors", "-requests", "-chips_cut"),
}
MAX_ROWS = 200


@dataclass(frozen=True)
class UsageRow:
    """One user's or one IP's day."""

    key: str  # the username ("" for requests without a user) or the IP
    user_id: int | None
    email: str
    requests: int
    chips_cut: int
    chips_cached: int
    errors: int
    throttled: int
    bytes_sent: int
    distinct: int  # IPs a user came from, or users seen from an IP
    flags: tuple[str, ...]


@dataclass(frozen=True)
class DayTotal:
    day: date
    requests: int
    chips_cut: int
    errors: int
    bytes_sent: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local calendar day (TIME_ZONE) as an aware half-open interval."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    return start, end


def _thresholds() -> dict[str, int]:
    return {
        "requests": int(settings.USAGE_FLAG_REQUESTS),
        "chips": int(settings.USAGE_FLAG_CHIPS),
        "errors": int(settings.USAGE_FLAG_ERRORS),
        "bytes": int(settings.USAGE_FLAG_BYTES),
    }


def _flags(row: dict) -> tuple[str, ...]:
    values = {
        "requests": row["requests"],
        "chips": row["chips_cut"],
        "errors": row["errors"],
        "bytes": row["bytes_sent"],
    }
    return tuple(
        f"{name} ≥ {limit:,}"
        for name, limit in _thresholds().items()
        if limit and values[name] >= limit
    )


def _aggregated(rows: QuerySet, *, distinct: str) -> QuerySet:
    return rows.annotate(
        requests=Count("id"),
        chips_cut=Coalesce(Sum("chips_cut"), 0),
        chips_cached=Coalesce(Sum("chips_cached"), 0),
        errors=Count("id", filter=Q(status__gte=400)),
        throttled=Count("id", filter=Q(status=429)),
        bytes_sent=Coalesce(Sum("bytes_sent"), 0),
        distinct=Count(distinct, distinct=True),
    )


def _day_rows(day: date) -> QuerySet:
    start, end = day_bounds(day)
    return RequestLog.objects.filter(time__gte=start, time__lt=end).order_by()


def _counts(row: dict[str, Any]) -> dict[str, Any]:
    """The aggregated figures of one summary row, as UsageRow fields."""
    return {name: row[name] for name in COUNT_FIELDS}


COUNT_FIELDS = (
    "requests",
    "chips_cut",
    "chips_cached",
    "errors",
    "throttled",
    "bytes_sent",
    "distinct",
)


def usage_by_user(*, day: date, order: str = "chips") -> list[UsageRow]:
    """Per user on `day` (local), heaviest first; requests without a user form one row."""
    rows = _aggregated(
        _day_rows(day).values("user_id", "user__username", "user__email"), distinct="ip"
    ).order_by(*ORDERINGS.get(order, ORDERINGS["chips"]))[:MAX_ROWS]
    return [
        UsageRow(
            key=row["user__username"] or "",
            user_id=row["user_id"],
            email=row["user__email"] or "",
            **_counts(row),
            # The anonymous row (401s, file downloads) is many clients: never flagged.
            flags=_flags(row) if row["user_id"] is not None else (),
        )
        for row in rows
    ]


def usage_by_ip(*, day: date, order: str = "chips") -> list[UsageRow]:
    """Per client IP on `day` (local), heaviest first."""
    rows = _aggregated(_day_rows(day).values("ip"), distinct="user_id").order_by(
        *ORDERINGS.get(order, ORDERINGS["chips"])
    )[:MAX_ROWS]
    return [
        UsageRow(
            key=row["ip"] or "",
            user_id=None,
            email="",
            **_counts(row),
            flags=_flags(row),
        )
        for row in rows
    ]


def usage_per_day(*, last_day: date, days: int = 30) -> list[DayTotal]:
    """Totals for each of the `days` local days up to `last_day`, oldest first, zeros kept."""
    first_day = last_day - timedelta(days=days - 1)
    start, _ = day_bounds(first_day)
    _, end = day_bounds(last_day)
    rows = (
        RequestLog.objects.filter(time__gte=start, time__lt=end)
        .annotate(day=TruncDate("time", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            requests=Count("id"),
            chips_cut=Coalesce(Sum("chips_cut"), 0),
            errors=Count("id", filter=Q(status__gte=400)),
            bytes_sent=Coalesce(Sum("bytes_sent"), 0),
        )
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    totals = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        row = by_day.get(day, {})
        totals.append(
            DayTotal(
                day=day,
                requests=row.get("requests", 0),
                chips_cut=row.get("chips_cut", 0),
                errors=row.get("errors", 0),
                bytes_sent=row.get("bytes_sent", 0),
            )
        )
    return totals
