"""Which parameter a chip request with several bad ones names: always the first in the order
the endpoints have always checked them (the CbM tools fix one parameter at a time). Each
walk starts with every parameter bad and mends the named one, step by step."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD_WINDOW = {
    "start_date": "x",
    "end_date": "x",
    "plevel": "LEVEL3",
    "band": "B99",
    "chipsize": "1",
    "refresh": "?",
    "onlylist": "?",
    "async": "?",
}
WINDOW_STEPS = [
    ("start_date", {"start_date": "2024-04-10"}),
    ("end_date", {"end_date": "2024-04-01"}),
    ("start_date", {"end_date": "2024-04-21"}),  # start after end
    ("plevel", {"plevel": "LEVEL2A"}),
    ("band", {"band": "B04"}),
    ("chipsize", {"chipsize": "640"}),
    ("refresh", {"refresh": "0"}),
    ("onlylist", {"onlylist": "True"}),
    ("async", {"async": "no"}),
]
BAD_PARCEL = {"aoi": "N L!", "year": "1800", "ptype": "Bad!", "pid": " "}
PARCEL_STEPS = [
    ("aoi", {"aoi": "NL"}),
    ("year", {"year": "2024"}),
    ("ptype", {"ptype": "b"}),
    ("pid", {"pid": "p-1"}),
]
BAD_COMPOSITE = {
    "start_date": "2024-4-1",
    "end_date": "",
    "plevel": "L2",
    "bands": "B01_B04",
    "lut": "90_10",
    "chipsize": "99999",
    "refresh": "perhaps",
    "format": "json",
}
COMPOSITE_STEPS = [
    ("start_date", {"start_date": "2024-04-01"}),
    ("end_date", {"end_date": "2024-04-21"}),
    ("plevel", {"plevel": "LEVEL1C"}),
    ("bands", {"bands": "SCL_B04_B03"}),  # no SCL at LEVEL1C
    ("bands", {"bands": "b11_b8a_b04"}),
    ("lut", {"lut": "2_98"}),
    ("chipsize", {"chipsize": "1280"}),
    ("refresh", {"refresh": "False"}),
]
WALKS = {
    "rawChipByLocation": (
        {"lon": "x", "lat": "91", **BAD_WINDOW},
        [("lon", {"lon": "5.9"}), ("lat", {"lat": "52.5"}), *WINDOW_STEPS],
        200,
    ),
    "rawChipByParcelID": ({**BAD_WINDOW, **BAD_PARCEL}, WINDOW_STEPS + PARCEL_STEPS, 404),
    "chipsByLocation": (
        {"lon": "", "lat": "nan", **BAD_COMPOSITE},
        [("lon", {"lon": "5.9"}), ("lat", {"lat": "52.5"}), *COMPOSITE_STEPS],
        200,
    ),
    "chipsByParcelID": ({**BAD_COMPOSITE, **BAD_PARCEL}, COMPOSITE_STEPS + PARCEL_STEPS, 404),
}


def walk(
    send: Any, params: dict[str, Any], steps: list[tuple[str, dict[str, Any]]], final: int
) -> None:
    for param, mend in steps:
        response = send(params)
        assert response.status_code == 400, (params, response.content)
        assert response.json()["param"] == param, (params, response.json())
        params = {**params, **mend}
    assert send(params).status_code == final


@pytest.mark.parametrize("endpoint", WALKS)
def test_the_first_bad_parameter_is_named(admin_client: Client, endpoint: str) -> None:
    params, steps, final = WALKS[endpoint]

    # The composite pages answer JSON to a client that asks for it (the page otherwise).
    def send(p: dict[str, Any]) -> Any:
        return admin_client.get(f"/query/{endpoint}", p, HTTP_ACCEPT="application/json")

    walk(send, params, steps, final)


def test_the_batch_body_is_checked_in_its_order(admin_client: Client) -> None:
    def send(body: Any) -> Any:
        data = json.dumps(body)
        return admin_client.post("/query/rawChipsBatch", data, content_type="application/json")

    assert send([]).json() == {"error": "the body must be a JSON object", "param": "body"}
    body: dict[str, Any] = {"lon": True, "lat": [1], "plevel": 5, "tiles": "x", "bands": [1]}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("lon", {"lon": 5.9}),
        ("lat", {"lat": "52.5"}),
        ("plevel", {"plevel": "LEVEL2A"}),
        ("tiles", {"tiles": ["S2A_MSIL2A_NOWHERE"]}),
        ("bands", {"bands": ["B04", "B10"]}),
        ("bands", {"bands": ["B04"], "chipsize": 640.0}),
        ("chipsize", {"chipsize": 640, "async": "maybe"}),
        ("async", {"async": True}),
    ]
    walk(send, body, steps, 404)  # no such product
