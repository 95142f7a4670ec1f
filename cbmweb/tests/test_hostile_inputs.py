"""Every class of hostile input, to every /query/ endpoint (GET and POST forms, both
spellings): SQL-like strings, NaN/inf/huge numbers, NUL and unicode, dates at the calendar's
ends, empty/degenerate/huge/deep geometries and bodies, repeated and excess parameters.

Each answer is a 4xx JSON `{"error"[, "param"]}` (or a 200 where the input is legitimately
fine), never a 5xx, never HTML (the composite pages are asked for JSON here; one test asks
them as a browser). The counts by status are printed for docs/robustness.md
(`pytest -s cbmweb/tests/test_hostile_inputs.py`).
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client

from parcels.models import Parcel, ParcelDataset
from testing.auth import basic, make_user

STRINGS = [
    "' OR '1'='1", "1; DROP TABLE parcels_parcel; --", '" UNION SELECT password FROM auth_user --',
    "%", "_", "\\", "NaN", "nan", "inf", "-Infinity", "1e309", "-1e309", "9" * 400, "1e-400",
    "0x1F", "-0", "1_000", "\x00", "a\x00b", "5\x00", "é漢字🌾", "\u202e5.9", "\ufeff52",
    " 5.9 ", "", " ", "0001-01-01", "9999-12-31", "0000-00-00", "10000-01-01", "2024-02-30",
    "2024-06-31T00:00", "x" * 5000, "[]", "{}", "null", "True", "-", "_-_-_",
]  # fmt: skip
GOOD_POLYGON = "5.0_52.0-5.1_52.0-5.1_52.1-5.0_52.0"
WINDOW = {"start_date": "2024-06-01", "end_date": "2024-06-30"}
POINT = {"lon": "5.9", "lat": "52.5"}
PARCEL = {"aoi": "nl", "year": "2024", "pid": "P1"}
# GET endpoints and a valid request each (the value of every parameter is replaced in turn).
GETS: dict[str, dict[str, str]] = {
    "rawChipByLocation": {**POINT, **WINDOW, "band": "B04", "onlylist": "True"},
    "rawChipByParcelID": {**PARCEL, **WINDOW, "band": "B04", "onlylist": "True"},
    "rawChipByParcelId": {**PARCEL, **WINDOW, "band": "B04", "chipsize": "640"},
    "chipsByLocation": {**POINT, **WINDOW, "bands": "B08_B04_B03", "lut": "5_95"},
    "chipsByParcelID": {**PARCEL, **WINDOW, "plevel": "LEVEL2A"},
    "chipsByParcelId": {**PARCEL, **WINDOW, "chipsize": "1280"},
    "parcelByLocation": {"aoi": "nl", "year": "2024", **POINT, "withGeometry": "True"},
    "parcelByID": {**PARCEL, "withGeometry": "True", "wgs84": "True"},
    "parcelById": {**PARCEL, "ptype": ""},
    "parcelsByPolygon": {"aoi": "nl", "year": "2024", "polygon": GOOD_POLYGON, "max": "5"},
    "parcelPeers": {**PARCEL, "distance": "500", "max": "3"},
    "info": {},
    "jobs/00000000-0000-0000-0000-000000000000": {},
}
BATCH = {"lon": 5.9, "lat": 52.5, "tiles": ["S2A_MSIL2A_20240601T104031_N0510_R008_T31UFU"],
         "bands": ["B04"], "chipsize": 1280, "plevel": "LEVEL2A"}  # fmt: skip
POLYGON = {"type": "Polygon", "coordinates": [[[5, 52], [5.1, 52], [5.1, 52.1], [5, 52]]]}
JSON_VALUES: list[Any] = [
    None, True, 0, -1, 1e308, 10**400, float("nan"), float("inf"), "", "\x00", "é漢字🌾",
    "' OR 1=1 --", [], {}, [None], [[[]]], "x" * 5000, [1] * 10000,
]  # fmt: skip
BODIES: list[str] = [
    "", "null", "[]", "{}", "{", "nul", '"text"', "1e999", "NaN", "[" * 1000 + "]" * 1000,
    '{"a":' * 5000 + "1" + "}" * 5000, json.dumps({"k": "\x00"}), "\x00", "\ufeff{}",
    json.dumps({"type": "Polygon", "coordinates": [[]]}),
    json.dumps({"type": "Polygon", "coordinates": [None]}),
    json.dumps({"type": "MultiPolygon", "coordinates": []}),
    json.dumps({"type": "Polygon", "coordinates": [[[5, 52]] * 20_001]}),
    json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1e300, 0], [0, 1e300], [0, 0]]]}),
    json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}),
    json.dumps({"type": "GeometryCollection", "geometries": []}),
    json.dumps({"type": "Feature", "geometry": None}),
    json.dumps({"type": "Point", "coordinates": [5, 52]}),
]  # fmt: skip
STATUSES: collections.Counter[str] = collections.Counter()


@pytest.fixture
def hostile_client(db: None, settings: Any) -> Iterator[tuple[Client, dict[str, str]]]:
    """A staff user (every AOI), one nl 2024 parcel P1, no scenes: fine requests answer
    200 quickly, with nothing to cut. The request quotas are out of the way: the answers
    under test are those to the input."""
    settings.QUOTA_REQUESTS_PER_MINUTE = settings.QUOTA_IP_REQUESTS_PER_MINUTE = 10**9
    user: User = make_user("hostile", is_staff=True)
    dataset = ParcelDataset.objects.create(aoi="nl", year=2024, srid=4326, source="test")
    square = Polygon(((5.0, 52.0), (5.01, 52.0), (5.01, 52.01), (5.0, 52.01), (5.0, 52.0)))
    geom = MultiPolygon(square, srid=4326)
    Parcel.objects.create(
        dataset=dataset, pid="P1", crop_code="1", area=75_000, centroid=geom.centroid,
        geom=geom, geom_native=bytes(geom.wkb),
    )  # fmt: skip
    headers = {"Authorization": basic(user.username)["HTTP_AUTHORIZATION"]}
    yield Client(), headers


def check(response: Any, what: str, *, ok: tuple[int, ...] = (200, 202)) -> None:
    status = response.status_code
    STATUSES[str(status)] += 1
    assert status < 500, (what, status, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (what, status)
    body = response.json()
    if status >= 400:
        assert isinstance(body.get("error"), str) and body["error"], (what, body)
    else:
        assert status in ok, (what, status)


@pytest.mark.parametrize("endpoint", GETS)
def test_hostile_query_values(hostile_client: tuple[Client, dict[str, str]], endpoint: str) -> None:
    client, headers = hostile_client
    headers = {**headers, "Accept": "application/json"}
    base = GETS[endpoint]
    url = f"/query/{endpoint}"
    check(client.get(url, base, headers=headers), f"{endpoint} as given")
    names = [*base, "format", "job", "refresh"]
    for name in names:
        for value in STRINGS:
            check(client.get(url, {**base, name: value}, headers=headers), f"{endpoint} {name}")
        # Repeated: the first one counts (as DRF's query_params.get reads it).
        check(client.get(url, {**base, name: ["1", "2", "x"]}, headers=headers), endpoint)
    # Parameters the endpoint does not know, many of them (under the limit, then over).
    extra = {f"p{i}": "1" for i in range(990)}
    check(client.get(url, {**base, **extra}, headers=headers), f"{endpoint} extra")
    extra = {f"p{i}": "1" for i in range(1200)}
    check(client.get(url, {**base, **extra}, headers=headers), f"{endpoint} excess")
    check(client.get(url + "?" + "&".join(["lon=1"] * 1500), headers=headers), endpoint)


@pytest.mark.parametrize("endpoint", ["rawChipsBatch", "parcelsByPolygon?aoi=nl&year=2024"])
def test_hostile_bodies(hostile_client: tuple[Client, dict[str, str]], endpoint: str) -> None:
    client, headers = hostile_client
    url = f"/query/{endpoint}"
    base = BATCH if endpoint == "rawChipsBatch" else POLYGON
    check(client.post(url, json.dumps(base), "application/json", headers=headers), url)
    for body in BODIES:
        for content_type in ("application/json", "application/geo+json", "text/plain"):
            check(client.post(url, body, content_type, headers=headers), f"{url} {body[:40]}")
    for name in [*base, "extra"]:
        for value in JSON_VALUES:
            text = json.dumps({**base, name: value})
            check(client.post(url, text, "application/json", headers=headers), f"{url} {name}")
    form = "&".join(f"p{i}=1" for i in range(1200))
    content_type = "application/x-www-form-urlencoded"
    check(client.post(url, form, content_type, headers=headers), f"{url} form fields")


@pytest.mark.parametrize("endpoint", [*GETS, "rawChipsBatch"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_and_bodies_everywhere(
    hostile_client: tuple[Client, dict[str, str]], endpoint: str, method: str
) -> None:
    client, headers = hostile_client
    for with_credentials in (True, False):
        sent = headers if with_credentials else {}
        for body in BODIES[:12]:
            response = getattr(client, method)(
                f"/query/{endpoint}", body, "application/json", headers=sent
            )
            check(response, f"{method} {endpoint}", ok=(200, 202))


@pytest.mark.parametrize("endpoint", ["chipsByLocation", "chipsByParcelID"])
def test_composite_pages_answer_browsers_html_never_5xx(
    hostile_client: tuple[Client, dict[str, str]], endpoint: str
) -> None:
    client, headers = hostile_client
    headers = {**headers, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    base = GETS[endpoint]
    for name in base:
        for value in STRINGS:
            response = client.get(f"/query/{endpoint}", {**base, name: value}, headers=headers)
            STATUSES[f"{response.status_code} (page)"] += 1
            assert response.status_code < 500, (name, value, response.content[:300])
            assert response["Content-Type"].startswith("text/html")


def test_zz_counts() -> None:
    """The counts by status (run last in this module), for docs/robustness.md."""
    print("\nhostile inputs by status:", dict(sorted(STATUSES.items())))
