"""Panels that apps above chips add to a parcel's chip page (chips.web.pages renders them
where the season is): an app registers a context provider in its AppConfig.ready; each
returns the context of its own include template, or None to show nothing. The page does not
import the apps that add to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class ParcelWindow:
    """What the page shows: the parcel, its date window, the chips' side in metres."""

    parcel: Any  # parcels.models.Parcel (common imports no app)
    start: dt.date
    end: dt.date
    chipsize: int


Panel = Callable[[HttpRequest, ParcelWindow], dict[str, Any] | None]

PANELS: dict[str, tuple[int, Panel]] = {}


def register(name: str, panel: Panel, *, order: int) -> None:
    PANELS[name] = (order, panel)


def panels(request: HttpRequest, window: ParcelWindow) -> list[dict[str, Any]]:
    """[{"template": ..., ...}] of the registered panels with something to show, in order."""
    out = []
    for _, panel in sorted(PANELS.values(), key=lambda p: p[0]):
        context = panel(request, window)
        if context is not None:
            out.append(context)
    return out
