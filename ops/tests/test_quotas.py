"""Quotas: requests per minute per user and per IP (429 + Retry-After), chips per day."""

from __future__ import annotations

import math
import socket
import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from common.errors import QuotaExceeded
from ops import log_writer
from ops.models import RequestLog, UserQuota
from ops.quotas import check_chip_quota, count_hit
from ops.tests.support import fresh_window
from testing.auth import basic

pytestmark = pytest.mark.django_db


def statuses(client, n: int, **extra) -> list[int]:
    return [client.get("/query/probe", **extra).status_code for _ in range(n)]


def test_user_quota_429_at_the_right_count(client, alice, settings):
    settings.QUOTA_REQUESTS_PER_MINUTE = 3
    fresh_window()
    assert statuses(client, 3, **basic("alice")) == [200, 200, 200]
    response = client.get("/query/probe", **basic("alice"))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "3 requests per minute" in response.json()["error"]
    # Logged like any other request.
    log_writer.flush()
    assert list(RequestLog.objects.order_by("time").values_list("status", flat=True)) == [
        200,
        200,
        200,
        429,
    ]


def test_successful_answers_carry_ratelimit_headers(client, alice, settings):
    """A script paces itself by the IETF RateLimit fields: the tightest quota, counting down."""
    settings.QUOTA_REQUESTS_PER_MINUTE = 5
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 100
    fresh_window()
    answers = [client.get("/query/probe", **basic("alice")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert [a["RateLimit-Limit"] for a in answers] == ["5"] * 3
    assert [a["RateLimit-Remaining"] for a in answers] == ["4", "3", "2"]
    assert all(1 <= int(a["RateLimit-Reset"]) <= 60 for a in answers)
    assert answers[0]["RateLimit-Policy"] == "5;w=60"
    # With the per-IP quota the tighter one, it is the one said.
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 4  # 3 counted already in this window
    answer = client.get("/query/probe", **basic("alice"))
    assert (answer["RateLimit-Limit"], answer["RateLimit-Remaining"]) == ("4", "0")


def test_user_override(client, alice, bob, settings):
    settings.QUOTA_REQUESTS_PER_MINUTE = 2
    UserQuota.objects.create(user=alice, requests_per_minute=4)
    fresh_window()
    assert statuses(client, 5, **basic("alice")) == [200, 200, 200, 200, 429]
    assert statuses(client, 3, **basic("bob")) == [200, 200, 429]


def test_override_zero_means_no_limit(client, alice, settings):
    settings.QUOTA_REQUESTS_PER_MINUTE = 1
    UserQuota.objects.create(user=alice, requests_per_minute=0)
    fresh_window()
    assert statuses(client, 4, **basic("alice")) == [200] * 4


def test_override_change_applies_at_once(client, alice, settings):
    # The override is cached (no query per request); saving it must clear the cache.
    settings.QUOTA_REQUESTS_PER_MINUTE = 1
    quota = UserQuota.objects.create(user=alice, requests_per_minute=0)
    fresh_window()
    assert statuses(client, 3, **basic("alice")) == [200] * 3
    quota.requests_per_minute = None  # back to the site default: 1 per minute
    quota.save()
    assert statuses(client, 2, **basic("alice")) == [200, 429]


def test_ip_quota_before_the_view(client, alice, settings):
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 2
    fresh_window()
    # Unauthenticated floods are stopped too: the IP check runs before authentication.
    assert statuses(client, 2) == [401, 401]
    response = client.get("/query/probe", **basic("alice"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "127.0.0.1" in response.json()["error"]
    # File downloads are not counted.
    assert client.get("/dump/t/x.tif").status_code == 200


def test_window_counts_and_resets():
    key = f"test:{uuid.uuid4()}"
    assert count_hit(key=key, now=600.0) == (1, 60)
    assert count_hit(key=key, now=659.4) == (2, 1)
    assert count_hit(key=key, now=660.0) == (1, 60)  # a new minute


def test_shared_counter_in_redis(settings, ops_site):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        **settings.CACHES,
        "quotas": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/14",
            "KEY_PREFIX": f"ops-test-{uuid.uuid4()}",
        },
    }
    assert [count_hit(key="k", now=120.0)[0] for _ in range(3)] == [1, 2, 3]


def log_chips(when: datetime, *, user=None, ip: str = "198.51.100.1", cut: int) -> None:
    RequestLog.objects.create(
        time=when,
        ip=ip,
        user=user,
        method="GET",
        endpoint="rawChipByLocation",
        status=200,
        duration_ms=1.0,
        chips_cut=cut,
    )


def local_midnight_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)


def test_chip_quota_per_user(alice, settings):
    settings.QUOTA_CHIPS_PER_DAY = 100
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    log_chips(start_of_day, user=alice, cut=60)
    log_chips(now, user=alice, ip="198.51.100.9", cut=30)
    log_chips(start_of_day - timedelta(seconds=1), user=alice, cut=500)  # yesterday
    check_chip_quota(user=alice, ip="198.51.100.1", chips_to_cut=10)  # 90 + 10 = 100
    with pytest.raises(QuotaExceeded) as caught:
        check_chip_quota(user=alice, ip="198.51.100.1", chips_to_cut=11)
    assert "90 cut today" in caught.value.message and "10 left" in caught.value.message
    expected = math.ceil((local_midnight_after(now) - timezone.now()).total_seconds())
    assert abs(caught.value.retry_after - expected) <= 2


def test_chip_quota_override_and_ip(alice, bob, settings):
    settings.QUOTA_CHIPS_PER_DAY = 10
    settings.QUOTA_IP_CHIPS_PER_DAY = 50
    UserQuota.objects.create(user=alice, chips_per_day=1000)
    log_chips(timezone.now(), user=bob, ip="198.51.100.1", cut=45)
    check_chip_quota(user=alice, ip="198.51.100.2", chips_to_cut=40)  # over her default 10
    # Alice's own limit is high, but her IP has had 45 of its 50 today (from bob).
    with pytest.raises(QuotaExceeded, match="for 198.51.100.1"):
        check_chip_quota(user=alice, ip="198.51.100.1", chips_to_cut=6)
    with pytest.raises(QuotaExceeded, match="user bob"):
        check_chip_quota(user=bob, ip="198.51.100.2", chips_to_cut=1)
    check_chip_quota(user=bob, ip="198.51.100.2", chips_to_cut=0)  # nothing to cut: fine
