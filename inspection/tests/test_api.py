"""/query/parcelSuggest, /query/parcelMap and /query/inspectionDecisions: what they find,
the AOI rules (403 before 404, nothing of an AOI not granted), and 400s naming the
parameter; the map's outlines checked against the boxes the fixture drew."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.test import Client
from shapely.geometry import box as shapely_box
from shapely.geometry import shape

from inspection.models import Decision
from inspection.tests.conftest import LIGHTS, SIZE, STEP, corner, set_light
from inspection.web.serializers import MAP_MAX_SPAN
from parcels.models import Parcel
from testing.auth import basic

NL = "aoi=nl&year=2024"
VIEW = "bbox=5.09,52.09,5.15,52.11&zoom=15"


def get(client: Client, url: str, status: int = 200, user: str = "alice") -> Any:
    response = client.get(url, **basic(user))
    assert response.status_code == status, response.content[:300]
    return response


def test_suggest_within_granted_aois(client: Client, lit: dict) -> None:
    found = get(client, "/query/parcelSuggest?q=p0").json()["suggestions"]
    # nl 2024's six, then nl 2023's p01: newest first, each by id; never be's.
    assert [(s["aoi"], s["year"], s["pid"]) for s in found] == [
        ("nl", 2024, f"p0{i}") for i in range(1, 7)
    ] + [("nl", 2023, "p01")]
    first = found[0]
    assert first["url"].startswith("/query/chipsByParcelID?")
    assert "start_date=2024-01-01" in first["url"] and "end_date=2024-12-31" in first["url"]
    assert first["cropname"] == "grass" and first["clon"] == pytest.approx(5.1 + SIZE / 2)
    exact = get(client, "/query/parcelSuggest?q=p02").json()["suggestions"]
    assert [s["pid"] for s in exact] == ["p02"]
    limited = get(client, "/query/parcelSuggest?q=p&limit=2&year=2023").json()["suggestions"]
    assert [(s["year"], s["pid"]) for s in limited] == [(2023, "p01")]


def test_suggest_errors(client: Client, lit: dict) -> None:
    assert get(client, "/query/parcelSuggest", 400).json()["param"] == "q"
    assert get(client, "/query/parcelSuggest?q=%20", 400).json()["param"] == "q"
    assert get(client, "/query/parcelSuggest?q=p&limit=0", 400).json()["param"] == "limit"
    assert get(client, "/query/parcelSuggest?q=p&aoi=be", 403).json()["param"] == "aoi"
    assert client.get("/query/parcelSuggest?q=p").status_code == 401


def test_suggest_staff_sees_every_aoi(client: Client, lit: dict, staff: Any) -> None:
    found = get(client, "/query/parcelSuggest?q=p02", user="staff").json()["suggestions"]
    assert sorted((s["aoi"], s["pid"]) for s in found) == [("be", "p02"), ("nl", "p02")]


def features(client: Client, query: str) -> dict[str, Any]:
    response = get(client, f"/query/parcelMap?{NL}&{VIEW}&{query}")
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def test_map_outlines_and_lights(client: Client, lit: dict) -> None:
    body = features(client, "")
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    got = {f["id"]: f for f in body["features"]}
    assert sorted(got) == sorted(LIGHTS)
    for pid, light in LIGHTS.items():
        props = got[pid]["properties"]
        assert props["light"] == light and props["pid"] == pid
        # The outline is the box the fixture drew (simplified to half a pixel at zoom 15:
        # a box has nothing to drop), within the rounding of the coordinates.
        lon, lat = corner(pid)
        drawn = shape(got[pid]["geometry"])
        expected = shapely_box(lon, lat, lon + SIZE, lat + SIZE)
        assert drawn.symmetric_difference(expected).area < expected.area * 1e-3
    assert got["p05"]["properties"]["practice"] is None
    only_geojson = client.get(
        f"/query/parcelMap?{NL}&{VIEW}", HTTP_ACCEPT="application/geo+json", **basic("alice")
    )
    assert only_geojson.status_code == 200 and len(only_geojson.json()["features"]) == 6
    refused = client.get(
        f"/query/parcelMap?{NL}&zoom=3&format=geojson",
        HTTP_ACCEPT="application/geo+json",
        **basic("alice"),
    )  # errors answer JSON whatever was accepted
    assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    assert refused.json()["param"] == "bbox"
    assert got["p01"]["properties"]["reason"] == "red_reason"


def test_map_view_and_filters(client: Client, lit: dict) -> None:
    # A view holding p02 and p03 only (each box is SIZE wide, STEP apart).
    west = corner("p02")[0] + SIZE / 2
    east = corner("p03")[0] + SIZE / 2
    only = get(client, f"/query/parcelMap?{NL}&bbox={west},52.09,{east},52.2&zoom=16").json()
    assert sorted(f["id"] for f in only["features"]) == ["p02", "p03"]
    red = features(client, "light=red")
    assert sorted(f["id"] for f in red["features"]) == ["p01", "p04"]
    unassessed = features(client, "light=none,green")
    assert sorted(f["id"] for f in unassessed["features"]) == ["p03", "p05"]
    arable = features(client, "practice=arable")
    assert sorted(f["id"] for f in arable["features"]) == ["p03", "p04"]
    both = features(client, "practice=grassland&light=yellow")
    assert sorted(f["id"] for f in both["features"]) == ["p02", "p06"]
    first = features(client, "limit=2")
    assert [f["id"] for f in first["features"]] == ["p01", "p02"] and first["truncated"] is True


def test_map_simplifies_for_the_zoom(client: Client, lit: dict) -> None:
    """A round parcel of 200 corners keeps them where they show apart (zoom 22); where it
    is a few pixels wide, it keeps only the corners that show, with fewer decimals."""
    circle = Point(5.13, 52.13).buffer(0.002, 50)  # 200 segments
    assert isinstance(circle, Polygon)
    geom = MultiPolygon(circle, srid=4326)
    Parcel.objects.create(dataset=lit["nl"], pid="round", crop_code="265", area=1, geom=geom,
                          centroid=geom.centroid, geom_native=bytes(geom.wkb))  # fmt: skip
    view = "bbox=5.12,52.12,5.14,52.14"
    circle_shape = shape(json.loads(geom.json))

    def outline(zoom: int) -> tuple[Any, int]:
        response = get(client, f"/query/parcelMap?{NL}&{view}&zoom={zoom}")
        (feature,) = response.json()["features"]
        drawn = shape(feature["geometry"])  # a Polygon or a MultiPolygon of one
        return (drawn.geoms[0] if hasattr(drawn, "geoms") else drawn), len(response.content)

    near, near_bytes = outline(22)
    assert len(near.exterior.coords) == 201
    # Zoom 12: the parcel is about 12 px wide; what is dropped lies within half a pixel.
    mid, mid_bytes = outline(12)
    half_pixel = 360 / (256 * 2**12) / 2
    assert 5 <= len(mid.exterior.coords) < 40 and mid_bytes < near_bytes / 3
    assert mid.exterior.hausdorff_distance(circle_shape.boundary) <= half_pixel * 1.05
    # Zoom 8: under a pixel, yet kept (a parcel never vanishes from the map), where it is.
    far, _ = outline(8)
    assert len(far.exterior.coords) >= 4 and circle_shape.buffer(1e-4).contains(far)


def test_map_errors(client: Client, lit: dict) -> None:
    wide = f"bbox=5,52,{5 + MAP_MAX_SPAN + 0.1},52.1&zoom=10"
    for query, param in [
        (f"{NL}&zoom=15", "bbox"),
        (f"{NL}&bbox=5.2,52,5.1,52.1&zoom=15", "bbox"),
        (f"{NL}&bbox=5.1,52,5.2&zoom=15", "bbox"),
        (f"{NL}&bbox=5.1,52,5.2,nan&zoom=15", "bbox"),
        (f"{NL}&{wide}", "bbox"),
        (f"{NL}&bbox=5.1,52,5.2,52.1", "zoom"),
        (f"{NL}&{VIEW}&light=blue", "light"),
        (f"{NL}&{VIEW}&practice=a%20b", "practice"),
        (f"{NL}&{VIEW}&limit=100000", "limit"),
        (f"year=2024&{VIEW}", "aoi"),
    ]:
        assert get(client, f"/query/parcelMap?{query}", 400).json()["param"] == param, query
    assert get(client, f"/query/parcelMap?aoi=be&year=2024&{VIEW}", 403).json()["param"] == "aoi"
    # 403 before 404: an AOI not granted says nothing of its years.
    assert get(client, f"/query/parcelMap?aoi=be&year=1999&{VIEW}", 403).json()["param"] == "aoi"
    assert get(client, f"/query/parcelMap?aoi=nl&year=2022&{VIEW}", 404).json()["param"] == "year"


def test_decisions_export_flags_a_changed_light(client: Client, lit: dict, alice: Any) -> None:
    p01 = lit["parcels"]["p01"]
    Decision.objects.create(parcel=p01, year=2024, verdict="confirmed", user=alice,
                            comment="seen, ploughed", username="alice", light="red")  # fmt: skip
    Decision.objects.create(parcel=lit["parcels"]["p02"], year=2024, verdict="field_visit",
                            user=alice, username="alice", light="yellow")  # fmt: skip
    body = get(client, f"/query/inspectionDecisions?{NL}").json()
    assert body["pid"] == ["p01", "p02"] and body["light_changed"] == [False, False]
    set_light(p01, "green")  # a markers run that changes p01's light
    body = get(client, f"/query/inspectionDecisions?{NL}").json()
    assert body["light_now"] == ["green", "yellow"] and body["light_changed"] == [True, False]
    response = get(client, f"/query/inspectionDecisions?{NL}&tsformat=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="decisions_nl2024.csv"' in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert table[0]["pid"] == "p01" and table[0]["comment"] == "seen, ploughed"
    assert table[0]["user"] == "alice" and table[0]["light_changed"] == "True"
    assert get(client, "/query/inspectionDecisions?aoi=be&year=2024", 403).json()["param"] == "aoi"
    assert get(client, f"/query/inspectionDecisions?{NL}&tsformat=xml", 400).json()["param"] == (
        "tsformat"
    )


def test_step_is_wider_than_a_parcel() -> None:
    assert STEP > SIZE  # the boxes do not touch: a view can hold some and not others
