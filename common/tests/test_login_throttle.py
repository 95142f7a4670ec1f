"""Failed-login throttling: per address and per user name from one address, refused with
429 JSON and Retry-After before the password hash runs; another address is not locked out.

The hasher is a real Django hasher that counts the hashes it computes (every check of a
password, or of an unknown name's, runs encode once) in this process.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client

from testing.auth import PASSWORD, basic, make_user

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    runs: ClassVar[list[str]] = []

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.runs.append(password)
        return super().encode(password, salt)


@pytest.fixture
def carol(settings: Any) -> User:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.LOGIN_FAILURES_PER_IP = 8
    settings.LOGIN_FAILURES_PER_USER = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 300
    caches["default"].clear()
    user = make_user("carol", PASSWORD)
    CountingHasher.runs.clear()
    return user


def get(client: Client, ip: str, user: str, password: str) -> Any:
    return client.get("/query/info", REMOTE_ADDR=ip, **basic(user, password))


def test_wrong_passwords_for_one_user_are_refused_before_hashing(
    client: Client, carol: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="common.login_throttle")
    for _ in range(3):
        assert get(client, "203.0.113.5", "carol", "wrong").status_code == 401
    hashed = len(CountingHasher.runs)
    assert hashed == 3
    refused = get(client, "203.0.113.5", "carol", "wrong")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert "too many failed logins for 'carol'" in refused.json()["error"]
    # Even the right password from that address waits: no hash ran for either.
    assert get(client, "203.0.113.5", "carol", PASSWORD).status_code == 429
    assert len(CountingHasher.runs) == hashed
    # The real user from another address is not locked out.
    assert get(client, "198.51.100.7", "carol", PASSWORD).status_code == 200
    assert sum("failed login for 'carol' from 203.0.113.5" in m for m in caplog.messages) == 3
    assert any("refused before the password check" in m for m in caplog.messages)


def test_a_flood_of_names_from_one_address_is_cut_off(client: Client, carol: User) -> None:
    statuses = [get(client, "203.0.113.9", f"guess{i}", "x").status_code for i in range(20)]
    assert statuses == [401] * 8 + [429] * 12
    assert len(CountingHasher.runs) == 8  # the 12 refused attempts hashed nothing
    assert get(client, "198.51.100.7", "carol", PASSWORD).status_code == 200


def test_a_right_password_starts_the_count_for_the_name_again(client: Client, carol: User) -> None:
    for _ in range(2):
        assert get(client, "203.0.113.5", "carol", "wrong").status_code == 401
    assert get(client, "203.0.113.5", "carol", PASSWORD).status_code == 200
    for _ in range(2):
        assert get(client, "203.0.113.5", "carol", "wrong").status_code == 401
    assert get(client, "203.0.113.5", "carol", "wrong").status_code == 401  # third: 401 yet
