"""Fixtures shared by every app's tests; plain helpers are in testing/ (testing.auth,
testing.rasters, testing.scenes, ...). An app's conftest keeps only what is its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from testing.auth import FAST_HASHERS, PASSWORD, BasicAuth, basic, make_user

# Real Sentinel-2 samples and parcel files live beside the repo, never in it.
REAL_FIXTURES = (Path(__file__).resolve().parent.parent / "shared" / "fixtures" / "real").resolve()


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The real-data folder; tests that need it skip, saying why, where it is absent."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"real fixtures not found at {REAL_FIXTURES} (they live in ../shared)")
    return REAL_FIXTURES


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of `manage.py make_demo_archive OUT --small` (both layouts, seed 0), built once."""
    out = tmp_path_factory.mktemp("demo") / "archive"
    call_command("make_demo_archive", str(out), "--small", "--seed", "0")
    return out


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Basic auth hashes the password on every request: the tests need not pay PBKDF2."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def fresh_quota_counters() -> None:
    """Quota counters start at zero in every test: the per-IP requests/minute count of the
    tests before (all from 127.0.0.1) must not turn this one's requests into 429s."""
    caches["quotas"].clear()


@pytest.fixture(autouse=True)
def request_log_in_the_test(settings: Any) -> Iterator[None]:
    """Request log rows are written by flush() (or a full batch) in the test's own thread
    and transaction, not by the writer thread, whose connection would not see the test's
    uncommitted users. Rows a test leaves queued go with it. ops/tests/test_log_writer.py
    runs the thread."""
    from ops import log_writer

    settings.REQUEST_LOG_BACKGROUND = False
    log_writer.WRITER.discard()
    yield
    log_writer.WRITER.discard()


@pytest.fixture
def chip_store(settings: Any, tmp_path: Path) -> Path:
    """CHIP_STORE in this test's own folder (not made yet: the code under test makes it)."""
    settings.CHIP_STORE = tmp_path / "store"
    return settings.CHIP_STORE


@pytest.fixture
def alice(db: None) -> User:
    """A user with the known password (testing.auth.PASSWORD), none of it remembered yet."""
    caches["default"].clear()  # credentials common.auth remembered for an earlier alice
    return make_user("alice", PASSWORD, email="alice@example.org")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob", PASSWORD, email="bob@example.org")


@pytest.fixture
def auth(alice: User) -> BasicAuth:
    """alice's HTTP Basic header, as test client keyword arguments: client.get(url, **auth)."""
    return basic(alice.username)


@pytest.fixture
def staff(db: None) -> User:
    return make_user("staff", is_staff=True)


@pytest.fixture
def staff_client(staff: User) -> Client:
    """A test client logged in (session) as the staff user."""
    client = Client()
    client.force_login(staff)
    return client
