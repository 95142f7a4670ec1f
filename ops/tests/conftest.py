"""Fixtures for the ops tests: the test URL map, the log middleware, fast passwords."""

from __future__ import annotations

import base64
import time
import uuid

import pytest

MIDDLEWARE = "ops.middleware.RequestLogMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
PASSWORD = "s3cret-pass"


@pytest.fixture
def ops_site(settings):
    """Test views under /query/ and /dump/, the middleware on, quotas off, fresh counters."""
    settings.ROOT_URLCONF = "ops.tests.urls"
    if MIDDLEWARE not in settings.MIDDLEWARE:
        at = settings.MIDDLEWARE.index(AUTH_MIDDLEWARE) + 1
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:at], MIDDLEWARE, *settings.MIDDLEWARE[at:]]
    # The hashing cost is not under test; PBKDF2 would make every Basic request slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TRUSTED_PROXIES = []
    settings.QUOTA_REQUESTS_PER_MINUTE = 0
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 0
    settings.QUOTA_CHIPS_PER_DAY = 0
    settings.QUOTA_IP_CHIPS_PER_DAY = 0
    # A private counter store per test: no count leaks from one test to the next.
    settings.CACHES = {
        **settings.CACHES,
        "quotas": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ops-test-{uuid.uuid4()}",
        },
    }
    return settings


@pytest.fixture
def alice(db, ops_site):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def bob(db, ops_site):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("bob", "bob@example.org", PASSWORD)


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def fresh_window(margin: float = 5.0) -> None:
    """Wait for the next minute when this one is about to end: counters are per minute."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.05)
