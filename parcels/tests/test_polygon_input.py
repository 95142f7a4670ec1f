"""parcelsByPolygon's body: empty, degenerate and too deep geometries are 400s naming
`polygon` (the polygon is read before any dataset is looked up)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db
URL = "/query/parcelsByPolygon?aoi=nl&year=2024"
EMPTY = [
    {"type": "Polygon", "coordinates": [[]]},
    {"type": "Polygon", "coordinates": [None]},
    {"type": "Polygon", "coordinates": []},
    {"type": "MultiPolygon", "coordinates": []},
    {"type": "MultiPolygon", "coordinates": [[]]},
    {"type": "MultiPolygon", "coordinates": [[[]]]},
    {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": []}},
    {"type": "Polygon", "coordinates": [[[5, 52]]]},
    {"type": "Polygon", "coordinates": [[[5, 52], [5, 52], [5, 52], [5, 52]]]},
]


@pytest.mark.parametrize("body", EMPTY, ids=[json.dumps(b)[:60] for b in EMPTY])
def test_empty_geometries_are_400_polygon(client: Client, auth: BasicAuth, body: object) -> None:
    response = client.post(URL, json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["param"] == "polygon"


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deep_bodies_are_400_polygon(client: Client, auth: BasicAuth, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = client.post(URL, body, content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["param"] == "polygon"
