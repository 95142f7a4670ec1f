"""The dataset map's base layer: the caller's default background source as XYZ tiles
(background.web: /background/tiles/<name>/<z>/<x>/<y>.png) with its attribution; the map
works without one (outlines on a plain ground) when no source is open to the caller."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from background import sources

# Placeholders Leaflet fills in per tile; reverse() needs numbers, swapped for them after.
_Z, _X, _Y = 97, 98, 99


def base_layer(request: Any) -> dict[str, Any] | None:
    """{"url": ".../{z}/{x}/{y}.png", "attribution": ..., "name": ...} for the caller's
    default background source, or None (no source for this user)."""
    source = sources.default_source(request.user)
    if source is None:
        return None
    url = reverse("background-tile", args=[source.name, _Z, _X, _Y])
    url = url.replace(f"/{_Z}/{_X}/{_Y}", "/{z}/{x}/{y}")
    return {"name": source.name, "url": url, "attribution": source.attribution or source.name}
