"""Quotas off and counted afresh, for tests that count requests and chips."""

from __future__ import annotations

import uuid
from typing import Any


def quotas_off(settings: Any) -> None:
    """Every quota off (a test sets the one it checks) and a private counter store: no
    count leaks from one test to the next."""
    settings.QUOTA_REQUESTS_PER_MINUTE = 0
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 0
    settings.QUOTA_CHIPS_PER_DAY = 0
    settings.QUOTA_IP_CHIPS_PER_DAY = 0
    settings.CACHES = {
        **settings.CACHES,
        "quotas": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"quota-test-{uuid.uuid4()}",
        },
    }
