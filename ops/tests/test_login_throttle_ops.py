"""Failed logins as operators see them: each attempt in the request log, and the admin
login form throttled like HTTP Basic (common.login_throttle)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from common.tests.test_login_throttle import CountingHasher, carol, get
from ops import log_writer
from ops.models import RequestLog
from testing.auth import PASSWORD

pytestmark = pytest.mark.django_db

__all__ = ["carol"]  # the fixture


def test_failed_attempts_are_in_the_request_log(client: Client, carol: User) -> None:
    for _ in range(4):
        get(client, "203.0.113.5", "carol", "wrong")
    log_writer.flush()  # rows are written in batches (ops.log_writer)
    rows = list(RequestLog.objects.order_by("id").values_list("username", "status"))
    assert rows == [("carol", 401)] * 3 + [("carol", 429)]


def test_admin_login_is_throttled_too(client: Client, carol: User) -> None:
    carol.is_staff = True
    carol.save()
    CountingHasher.runs.clear()
    form = {"username": "carol", "password": "wrong", "next": "/admin/"}
    for _ in range(3):
        page = client.post("/admin/login/", form, REMOTE_ADDR="203.0.113.5")
        assert page.status_code == 200 and "correct username" in page.content.decode()
    hashed = len(CountingHasher.runs)
    page = client.post("/admin/login/", {**form, "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
    assert page.status_code == 200 and "too many failed logins" in page.content.decode()
    assert len(CountingHasher.runs) == hashed
    other = client.post("/admin/login/", {**form, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1")
    assert other.status_code == 302
