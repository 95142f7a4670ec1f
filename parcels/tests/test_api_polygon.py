"""parcelsByPolygon: GET lon_lat-... and POST GeoJSON, against OGR intersection tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.gis.gdal import CoordTransform, OGRGeometry, SpatialReference
from django.test import Client

from parcels.tests.samples import SAMPLES, read_source

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]
URL = "/query/parcelsByPolygon"
# A window over part of the French sample (lon 5.02..5.07, lat 45.775..45.81).
WINDOW = [(5.04, 45.785), (5.05, 45.785), (5.05, 45.795), (5.04, 45.795)]


def expected_pids(real_fixtures: Path, ring: list[tuple[float, float]]) -> list[str]:
    corners = ", ".join(f"{x} {y}" for x, y in [*ring, ring[0]])
    window = OGRGeometry(f"POLYGON (({corners}))", srs=SpatialReference(4326))
    window.transform(CoordTransform(SpatialReference(4326), SpatialReference(2154)))
    source = read_source(real_fixtures, SAMPLES["fr"])
    return sorted(pid for pid, parcel in source.items() if parcel.geom.intersects(window))


def test_get_polygon_ids(samples: Path, staff_client: Client) -> None:
    expected = expected_pids(samples, WINDOW)
    assert 0 < len(expected) < 100
    polygon = "-".join(f"{x}_{y}" for x, y in WINDOW)
    response = staff_client.get(URL, {"aoi": "fr", "year": "2020", "polygon": polygon})
    assert response.status_code == 200
    assert sorted(response.json()["pid"]) == expected
    assert set(response.json()) == {"pid"}


def test_get_polygon_columns_and_limit(samples: Path, staff_client: Client) -> None:
    everything = "-".join(
        f"{x}_{y}" for x, y in [(4.9, 45.7), (5.2, 45.7), (5.2, 45.9), (4.9, 45.9)]
    )
    body = staff_client.get(
        URL, {"aoi": "fr", "year": "2020", "polygon": everything, "only_ids": "False"}
    ).json()
    assert len(body["pid"]) == 100  # 193 parcels inside, 100 by default
    assert {len(column) for column in body.values()} == {100}
    assert set(body["srid"]) == {2154}
    small = staff_client.get(
        URL,
        {
            "aoi": "fr",
            "year": "2020",
            "polygon": everything,
            "max": "5",
            "withGeometry": "1",
            "only_ids": "0",
            "wgs84": "1",
        },
    ).json()
    assert len(small["geom"]) == 5 and json.loads(small["geom"][0])["type"] == "MultiPolygon"


def test_post_geojson(samples: Path, staff_client: Client) -> None:
    geometry = {"type": "Polygon", "coordinates": [[*map(list, WINDOW), list(WINDOW[0])]]}
    response = staff_client.post(
        f"{URL}?aoi=fr&year=2020", data=json.dumps(geometry), content_type="application/json"
    )
    assert response.status_code == 200
    assert sorted(response.json()["pid"]) == expected_pids(samples, WINDOW)
    feature = {"type": "Feature", "properties": {}, "geometry": geometry}
    response = staff_client.post(
        f"{URL}?aoi=fr&year=2020&only_ids=false",
        data=json.dumps(feature),
        content_type="application/json",
    )
    assert sorted(response.json()["pid"]) == expected_pids(samples, WINDOW)


def test_post_negative_coordinates_no_match(samples: Path, staff_client: Client) -> None:
    geometry = {"type": "Polygon", "coordinates": [[[-1, -1], [-0.5, -1], [-0.5, -0.5], [-1, -1]]]}
    response = staff_client.post(
        f"{URL}?aoi=fr&year=2020&only_ids=0",
        data=json.dumps(geometry),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert all(column == [] for column in response.json().values())


@pytest.mark.parametrize(
    "polygon",
    [
        None,
        "",
        "6_43-7_43",
        "6_43-7_43-x_y",
        "6_43-7_43-7",
        "6_43-7_44-7_43-6_44",
        "200_43-7_43-7_44",
    ],
)
def test_bad_polygon_is_400(samples: Path, staff_client: Client, polygon: str | None) -> None:
    params = {"aoi": "fr", "year": "2020"}
    if polygon is not None:
        params["polygon"] = polygon
    response = staff_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["param"] == "polygon"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"type": "Point", "coordinates": [6, 43]}),
        json.dumps([1, 2]),
        json.dumps({"type": "Polygon", "coordinates": "x"}),
    ],
)
def test_bad_post_body_is_400(samples: Path, staff_client: Client, body: str) -> None:
    response = staff_client.post(
        f"{URL}?aoi=fr&year=2020", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["param"] == "polygon"


def test_bad_max(samples: Path, staff_client: Client) -> None:
    response = staff_client.get(
        URL, {"aoi": "fr", "year": "2020", "polygon": "6_43-7_43-7_44", "max": "0"}
    )
    assert response.status_code == 400 and response.json()["param"] == "max"
