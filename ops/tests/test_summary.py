"""The daily summary: per user and per IP, heaviest first, over the local calendar day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ops.chart import usage_chart
from ops.summary import usage_by_ip, usage_by_user, usage_per_day
from ops.tests.support import request_log_row as log

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
DAY = date(2025, 6, 15)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)


@pytest.fixture
def day_rows(alice, bob):
    # alice: 3 requests from .1, 15 chips, one 400.
    log(at(DAY, 0, 5), user=alice, cut=10, cached=1, size=100)
    log(at(DAY, 9), user=alice, cut=5, size=200)
    log(at(DAY, 23, 59), user=alice, status=400, size=300)
    # bob: 2 requests from .2 and .1, 50 chips, one 429.
    log(at(DAY, 10), user=bob, ip="198.51.100.2", cut=50, cached=4, size=5000)
    log(at(DAY, 11), user=bob, ip="198.51.100.1", status=429, size=50)
    # no user: a failed login from .3
    log(at(DAY, 12), ip="198.51.100.3", status=401, size=20)
    # Outside the local day (Brussels): 23:59 the day before and 00:00 the day after.
    log(at(DAY - timedelta(days=1), 23, 59), user=alice, cut=1000, size=1)
    log(at(DAY + timedelta(days=1), 0, 0), user=alice, cut=1000, size=1)


def test_by_user_heaviest_first(day_rows, alice, bob, settings):
    settings.USAGE_FLAG_CHIPS = 50
    settings.USAGE_FLAG_REQUESTS = 0
    settings.USAGE_FLAG_ERRORS = 0
    settings.USAGE_FLAG_BYTES = 0
    rows = usage_by_user(day=DAY)
    assert [(r.key, r.user_id) for r in rows] == [("bob", bob.pk), ("alice", alice.pk), ("", None)]
    bob_row, alice_row, anonymous = rows
    assert (bob_row.requests, bob_row.chips_cut, bob_row.chips_cached) == (2, 50, 4)
    assert (bob_row.errors, bob_row.throttled, bob_row.bytes_sent) == (1, 1, 5050)
    assert bob_row.distinct == 2  # two IPs
    assert bob_row.email == "bob@example.org"
    assert (alice_row.requests, alice_row.chips_cut, alice_row.chips_cached) == (3, 15, 1)
    assert (alice_row.errors, alice_row.throttled, alice_row.bytes_sent) == (1, 0, 600)
    assert (anonymous.requests, anonymous.errors, anonymous.bytes_sent) == (1, 1, 20)
    assert bob_row.flags == ("chips ≥ 50",)
    assert alice_row.flags == ()


def test_by_user_ordered_by_requests(day_rows):
    assert [r.key for r in usage_by_user(day=DAY, order="requests")] == ["alice", "bob", ""]


def test_by_ip(day_rows, settings):
    settings.USAGE_FLAG_REQUESTS = 4
    rows = usage_by_ip(day=DAY)
    assert [r.key for r in rows] == ["198.51.100.2", "198.51.100.1", "198.51.100.3"]
    two, one, three = rows
    assert (two.requests, two.chips_cut, two.errors, two.bytes_sent, two.distinct) == (
        1,
        50,
        0,
        5000,
        1,
    )
    assert (one.requests, one.chips_cut, one.errors, one.bytes_sent, one.distinct) == (
        4,
        15,
        2,
        650,
        2,
    )
    assert (three.requests, three.errors, three.distinct) == (1, 1, 0)
    assert "requests ≥ 4" in one.flags
    assert two.flags == ()


def test_per_day(day_rows):
    days = usage_per_day(last_day=DAY + timedelta(days=1), days=30)
    assert len(days) == 30
    assert days[0].day == DAY - timedelta(days=28)
    by_day = {d.day: d for d in days}
    assert (by_day[DAY].requests, by_day[DAY].chips_cut, by_day[DAY].errors) == (6, 65, 3)
    assert by_day[DAY].bytes_sent == 5670
    assert (
        by_day[DAY - timedelta(days=1)].requests,
        by_day[DAY - timedelta(days=1)].chips_cut,
    ) == (
        1,
        1000,
    )
    assert by_day[DAY + timedelta(days=1)].chips_cut == 1000
    assert sum(d.requests for d in days) == 8


def test_chart_is_inline_svg(day_rows):
    svg = str(usage_chart(usage_per_day(last_day=DAY, days=30)))
    assert svg.count("<svg") == 3
    assert svg.count("<rect") == 90
    assert "Sun 15 Jun: 65" in svg  # the chips bar's tooltip for the day
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_empty_day(db):
    assert usage_by_user(day=timezone.localdate()) == []
    assert usage_by_ip(day=timezone.localdate()) == []
