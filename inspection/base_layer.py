"""The dataset map's base layer: the default background source's XYZ tiles, when the
`background` app is installed (it serves /background/tiles/<name>/<z>/<x>/<y>.png); the
map works without one (outlines on a plain ground)."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

# Placeholders Leaflet fills in per tile; reverse() needs numbers, swapped for them after.
_Z, _X, _Y = 97, 98, 99


def base_layer(request: Any) -> dict[str, Any] | None:
    """{"url": ".../{z}/{x}/{y}.png", "attribution": ..., "name": ...} for the caller's
    default background source, or None (no background app, or no source for this user)."""
    if not apps.is_installed("background"):
        return None
    # Imported by name: the background app may not be on this branch (import-linter and
    # mypy then see no edge to it).
    sources: Any = importlib.import_module("background.sources")
    name = sources.default_source_name(request.user)
    if not name:
        return None
    try:
        url = reverse("background-tile", args=[name, _Z, _X, _Y])
    except NoReverseMatch:
        return None
    url = url.replace(f"/{_Z}/{_X}/{_Y}", "/{z}/{x}/{y}")
    attribution = getattr(sources, "attribution", None)
    text = attribution(name) if callable(attribution) else ""
    return {"name": name, "url": url, "attribution": text or name}
