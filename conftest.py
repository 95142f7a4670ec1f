"""Fixtures shared by every app's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# Real Sentinel-2 samples and parcel files live beside the repo, never in it.
REAL_FIXTURES = (Path(__file__).resolve().parent.parent / "shared" / "fixtures" / "real").resolve()


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The real-data folder; tests that need it skip, saying why, where it is absent."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"real fixtures not found at {REAL_FIXTURES} (they live in ../shared)")
    return REAL_FIXTURES
