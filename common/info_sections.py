"""Sections that apps above chips add to /query/info (chips.web.info answers them):
an app registers a function of the user in its AppConfig.ready, so the info view does not
import the apps that use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

InfoSection = Callable[[User | AnonymousUser], Any]

SECTIONS: dict[str, InfoSection] = {}


def register(name: str, section: InfoSection) -> None:
    SECTIONS[name] = section


def sections(user: User | AnonymousUser) -> dict[str, Any]:
    return {name: section(user) for name, section in SECTIONS.items()}
