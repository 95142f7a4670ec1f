"""Fixtures of the ops tests: the test URL map with the log middleware, and the shared users
(root conftest.py) on it. Plain helpers are in ops/tests/support.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from ops.tests.support import AUTH_MIDDLEWARE, MIDDLEWARE


@pytest.fixture
def ops_site(settings: Settings) -> Settings:
    """Test views under /query/ and /dump/, the middleware on, quotas off, fresh counters."""
    settings.ROOT_URLCONF = "ops.tests.urls"
    if MIDDLEWARE not in settings.MIDDLEWARE:
        at = settings.MIDDLEWARE.index(AUTH_MIDDLEWARE) + 1
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:at], MIDDLEWARE, *settings.MIDDLEWARE[at:]]
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
def alice(alice: User, ops_site: Any) -> User:
    """The shared alice, on the ops test URL map."""
    return alice


@pytest.fixture
def bob(bob: User, ops_site: Any) -> User:
    """The shared bob, on the ops test URL map."""
    return bob
