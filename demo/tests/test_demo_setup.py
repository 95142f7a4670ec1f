"""demo_setup outside demo mode: refused without passwords, the given passwords used."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_outside_demo_mode_it_refuses_without_passwords(settings: Any, tmp_path: Path) -> None:
    settings.DEMO = False
    with pytest.raises(CommandError, match="--admin-password"):
        call_command("demo_setup", archive=tmp_path / "archive", small=True, stdout=StringIO())
    assert not User.objects.filter(username__in=["admin", "demo"]).exists()
    assert not (tmp_path / "archive").exists()  # refused before any work


def test_outside_demo_mode_one_password_is_not_enough(settings: Any, tmp_path: Path) -> None:
    settings.DEMO = False
    with pytest.raises(CommandError):
        call_command(
            "demo_setup", archive=tmp_path / "a", admin_password="s3cret-admin", stdout=StringIO()
        )


@pytest.mark.slow
def test_outside_demo_mode_the_given_passwords_are_set(
    settings: Any, demo_archive: Path, chip_store: Path
) -> None:
    settings.DEMO = False
    call_command(
        "demo_setup",
        archive=demo_archive,
        admin_password="s3cret-admin",
        demo_password="s3cret-demo",
        stdout=StringIO(),
    )
    admin, demo = User.objects.get(username="admin"), User.objects.get(username="demo")
    assert admin.is_superuser and admin.check_password("s3cret-admin")
    assert not admin.check_password("admin")
    assert demo.check_password("s3cret-demo") and not demo.check_password("demo")
