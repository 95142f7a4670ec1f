"""Parcels test fixtures: the real samples imported (parcels/tests/samples.py), users
granted one AOI. The staff user and its client, fast password hashing and the Basic header
are shared by every app: the root conftest.py and testing.auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from parcels.tests.samples import SAMPLES, import_samples
from testing.auth import make_user


@pytest.fixture(scope="module")
def samples(django_db_setup: Any, django_db_blocker: Any, real_fixtures: Path) -> Iterator[Path]:
    """The four real samples, imported once per test module (committed) and removed after.

    For modules whose tests only read the samples: what a test writes still rolls back with
    its own transaction. A module whose tests replace or re-import a sample defines its
    own per-test `samples` (test_import.py).
    """
    from parcels.models import ParcelDataset

    with django_db_blocker.unblock():
        import_samples(real_fixtures)
    try:
        yield real_fixtures
    finally:
        with django_db_blocker.unblock():
            for sample in SAMPLES.values():
                ParcelDataset.objects.filter(aoi=sample.aoi, year=sample.year).delete()


def granted_user(username: str, aoi: str) -> User:
    """A user (password testing.auth.PASSWORD) granted one AOI."""
    from parcels.services import aoi_grant

    user = make_user(username)
    aoi_grant(user=user, aoi=aoi)
    return user


@pytest.fixture
def nl_user(db: Any) -> User:
    return granted_user("nluser", "nl")


@pytest.fixture
def at_user(db: Any) -> User:
    return granted_user("atuser", "at")
