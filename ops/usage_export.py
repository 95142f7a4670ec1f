"""Usage as CSV for operators: per user and month, with the month's total and the quotas in force.

Months are calendar months in TIME_ZONE, the same days the daily usage page and the chip
quota count. The quota columns are the user's effective limits today (the override, or the
site default; 0 = no limit): what the operator compares the month's use against.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from ops.models import RequestLog
from ops.quotas import user_chips_per_day, user_requests_per_minute

COLUMNS = (
    "month",
    "user",
    "email",
    "requests",
    "chips_cut",
    "chips_cached",
    "errors",
    "bytes_sent",
    "quota_requests_per_minute",
    "quota_chips_per_day",
)
ALL_USERS = "(all)"  # the month's total row
NO_USER = "(no user)"  # 401s and requests no credentials or token named


def month_start(day: date) -> datetime:
    """The local month of `day` as an aware instant (its first midnight)."""
    return timezone.make_aware(datetime(day.year, day.month, 1))


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def monthly_rows(*, first: date, last: date) -> Iterator[dict[str, object]]:
    """Rows per month from `first`'s month to `last`'s, oldest first; in a month the total
    row first, then users heaviest first (chips cut, then requests)."""
    start, end = month_start(first), month_start(next_month(last))
    log = (
        RequestLog.objects.filter(time__gte=start, time__lt=end)
        .annotate(month=TruncMonth("time", tzinfo=timezone.get_current_timezone()))
        .order_by()
    )
    figures = {
        "requests": Count("id"),
        "chips_cut": Coalesce(Sum("chips_cut"), 0),
        "chips_cached": Coalesce(Sum("chips_cached"), 0),
        "errors": Count("id", filter=Q(status__gte=400)),
        "bytes_sent": Coalesce(Sum("bytes_sent"), 0),
    }
    # TruncMonth answers datetimes on PostgreSQL and SpatiaLite alike; keyed by their date.
    totals = {_as_date(row["month"]): row for row in log.values("month").annotate(**figures)}
    per_user = log.values("month", "user_id").annotate(**figures)
    users = _users(row["user_id"] for row in per_user)
    by_month: dict[date, list[dict[str, Any]]] = {}
    for row in per_user:
        by_month.setdefault(_as_date(row["month"]), []).append(row)
    for month in sorted(totals):
        yield _line(month, ALL_USERS, "", totals[month], quotas=("", ""))
        rows = sorted(by_month.get(month, []), key=lambda r: (-r["chips_cut"], -r["requests"]))
        for row in rows:
            user = users.get(row["user_id"])
            if user is None:
                yield _line(month, NO_USER, "", row, quotas=("", ""))
            else:
                quotas = (user_requests_per_minute(user), user_chips_per_day(user))
                email = getattr(user, "email", "")  # a custom user model may have none
                yield _line(month, user.get_username(), email, row, quotas=quotas)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _users(ids: Iterable[int | None]) -> dict[int, AbstractBaseUser]:
    wanted = {i for i in ids if i is not None}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=wanted)}


def _line(
    month: date, user: str, email: str, row: dict[str, object], *, quotas: tuple[object, object]
) -> dict[str, object]:
    return {
        "month": f"{month:%Y-%m}",
        "user": user,
        "email": email,
        **{name: row[name] for name in COLUMNS[3:8]},
        "quota_requests_per_minute": quotas[0],
        "quota_chips_per_day": quotas[1],
    }


def usage_csv(*, first: date, last: date) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(monthly_rows(first=first, last=last))
    return out.getvalue()
