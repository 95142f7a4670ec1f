"""Fixtures of the ops tests: the test URL map with the log middleware, and the shared users
(root conftest.py) on it. Plain helpers are in ops/tests/support.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from ops.tests.support import AUTH_MIDDLEWARE, MIDDLEWARE
from testing.quotas import quotas_off


@pytest.fixture
def ops_site(settings: Settings) -> Settings:
    """Test views under /query/ and /dump/, the middleware on, quotas off, fresh counters."""
    settings.ROOT_URLCONF = "ops.tests.urls"
    if MIDDLEWARE not in settings.MIDDLEWARE:
        at = settings.MIDDLEWARE.index(AUTH_MIDDLEWARE) + 1
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:at], MIDDLEWARE, *settings.MIDDLEWARE[at:]]
    settings.TRUSTED_PROXIES = []
    quotas_off(settings)
    return settings


@pytest.fixture
def alice(alice: User, ops_site: Any) -> User:
    """The shared alice, on the ops test URL map."""
    return alice


@pytest.fixture
def bob(bob: User, ops_site: Any) -> User:
    """The shared bob, on the ops test URL map."""
    return bob
