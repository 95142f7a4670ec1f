"""GET /background/tiles/<name>/<z>/<x>/<y>.png: the XYZ tiles the parcel map shows, against
an independent read of the orthophoto; transparent outside it; 404 outside its extent or
zoom levels or for a source the caller may not use; sign-in required; made once."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from background.imagery import tile_bounds
from background.models import BackgroundSource
from background.tests.ortho import TILE_X, TILE_Y, independent_read
from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db


def tile(
    client: Client, auth: BasicAuth | dict[str, str], name: str, z: int, x: int, y: int
) -> Any:
    url = reverse("background-tile", kwargs={"name": name, "z": z, "x": x, "y": y})
    return client.get(url, **auth)


def png(response: Any) -> np.ndarray:
    data = b"".join(response.streaming_content)
    return np.asarray(Image.open(io.BytesIO(data)))


def test_a_tile_inside_the_orthophoto(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, ortho: Path,
    tile_cache: Path,
) -> None:  # fmt: skip
    x, y = TILE_X + 1, TILE_Y + 2
    response = tile(client, auth, "ortho", 18, x, y)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    rgba = png(response)
    assert rgba.shape == (256, 256, 4) and (rgba[..., 3] == 255).all()
    want = np.moveaxis(independent_read(ortho, tile_bounds(18, x, y), 256), 0, -1)
    assert np.abs(rgba[..., :3].astype(int) - want).mean() < 1.0
    # Made once: the file in the source's tile folder answers the repeat.
    made = list(tile_cache.rglob(f"map/18/{x}/{y}.png"))
    assert len(made) == 1
    made[0].write_bytes(made[0].read_bytes())
    assert (png(tile(client, auth, "Ortho", 18, x, y)) == rgba).all()


def test_a_tile_over_the_edge_is_transparent_outside(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource
) -> None:
    # Zoom 14: one tile holds the whole 4 x 4 tiles of zoom 18, and much around it.
    rgba = png(tile(client, auth, "ortho", 14, TILE_X // 16, TILE_Y // 16))
    alpha = rgba[..., 3]
    assert 0 < (alpha == 255).sum() < alpha.size
    assert (rgba[alpha == 0][:, :3] == 0).all()


def test_not_found_and_not_allowed(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource
) -> None:
    assert tile(client, auth, "ortho", 18, TILE_X - 10, TILE_Y).status_code == 404  # outside
    assert tile(client, auth, "ortho", 20, 0, 0).status_code == 404  # beyond max zoom
    assert tile(client, auth, "ortho", 3, 9, 0).status_code == 404  # no such tile at z 3
    BackgroundSource.objects.create(name="AtOnly", kind="file", url=ortho_source.url, aois="at")
    denied = tile(client, auth, "atonly", 18, TILE_X, TILE_Y)
    unknown = tile(client, auth, "nosuch", 18, TILE_X, TILE_Y)
    assert denied.status_code == unknown.status_code == 404
    assert "error" in json.loads(denied.content)
    # No route (a negative zoom): JSON too, as under /query/.
    unrouted = client.get("/background/tiles/ortho/-1/0/0.png", **auth)
    assert unrouted.status_code == 404 and unrouted["Content-Type"] == "application/json"
    png_auth = {"HTTP_ACCEPT": "image/png", "HTTP_AUTHORIZATION": auth["HTTP_AUTHORIZATION"]}
    asked = tile(client, png_auth, "nosuch", 18, TILE_X, TILE_Y)
    assert asked.status_code == 404 and asked["Content-Type"] == "application/json"
    assert tile(client, {}, "ortho", 18, TILE_X, TILE_Y).status_code == 401


def test_the_dataset_map_takes_the_default_source_as_its_base(
    client: Client, auth: BasicAuth, alice: Any, ortho_source: BackgroundSource, tile_cache: Path
) -> None:
    """The inspector's map (inspection.base_layer) asks these tiles of the caller's default
    source, with its attribution; none when no source is open to the caller."""
    from django.test import RequestFactory

    from inspection.base_layer import base_layer

    request = RequestFactory().get("/inspect/map")
    request.user = alice
    layer = base_layer(request)
    assert layer is not None and layer["name"] == ortho_source.name
    assert layer["attribution"] == (ortho_source.attribution or ortho_source.name)
    url = layer["url"].format(z=18, x=TILE_X + 1, y=TILE_Y + 2)
    response = client.get(url, **auth)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    ortho_source.enabled = False
    ortho_source.save()
    assert base_layer(request) is None
