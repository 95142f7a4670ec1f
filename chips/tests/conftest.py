"""Fixtures for the chips tests: the synthetic demo archive, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of `manage.py make_demo_archive OUT --small` (both layouts, seed 0)."""
    out = tmp_path_factory.mktemp("demo") / "archive"
    call_command("make_demo_archive", str(out), "--small", "--seed", "0")
    return out
