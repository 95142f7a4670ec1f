"""Fixtures of the chips tests (the shared ones are in the root conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chips.models import Scene
from testing.raw_archive import build_archive


@pytest.fixture
def archive(tmp_path_factory: pytest.TempPathFactory, chip_store: Path) -> dict[str, Scene]:
    """The raw chip tests' catalogue (testing.raw_archive), chips going to this test's own
    store. The band files are written once per session; the rows are the test's."""
    return build_archive(tmp_path_factory.getbasetemp() / "raw-archive")
