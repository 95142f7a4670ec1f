"""Which parameter a parcel request with several bad ones names: always the first in the
order the endpoints have always checked them. Each walk starts with every parameter bad and
mends the named one, step by step, up to the look-up (no such dataset: 404)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD_DATASET = {"aoi": "", "year": "abc", "ptype": "x" * 9}
DATASET_STEPS = [("aoi", {"aoi": "nl"}), ("year", {"year": "2024"}), ("ptype", {"ptype": ""})]
BAD_FLAGS = {"withGeometry": "maybe", "wgs84": "2"}
FLAG_STEPS = [("withGeometry", {"withGeometry": "True"}), ("wgs84", {"wgs84": "1"})]
BAD_OPTIONS = {"max": "0", "only_ids": "nope"}
OPTION_STEPS = [("max", {"max": "5"}), ("only_ids", {"only_ids": "False"})]
WALKS = {
    "parcelByLocation": (
        {**BAD_DATASET, "lon": "abc", "lat": "-91", **BAD_FLAGS},
        [*DATASET_STEPS, ("lon", {"lon": "5.9"}), ("lat", {"lat": "52.5"}), *FLAG_STEPS],
    ),
    "parcelByID": (
        {**BAD_DATASET, "pid": "x" * 65, **BAD_FLAGS},
        [*DATASET_STEPS, ("pid", {"pid": " p1 "}), *FLAG_STEPS],
    ),
    "parcelsByPolygon": (
        {**BAD_DATASET, "polygon": "1_2-3_4", **BAD_OPTIONS, **BAD_FLAGS},
        [*DATASET_STEPS, ("polygon", {"polygon": "5_52-6_52-6_53"}), *OPTION_STEPS, *FLAG_STEPS],
    ),
    "parcelPeers": (
        {"distance": "-1", "max": "x", **BAD_DATASET, "pid": ""},
        [
            ("distance", {"distance": "300"}),
            ("max", {"max": "3"}),
            *DATASET_STEPS,
            ("pid", {"pid": "p1"}),
        ],
    ),
}


def walk(send: Any, params: dict[str, str], steps: list[tuple[str, dict]]) -> None:
    for param, mend in steps:
        response = send(params)
        assert response.status_code == 400, (params, response.content)
        assert response.json()["param"] == param, (params, response.json())
        params = {**params, **mend}
    assert send(params).status_code == 404


@pytest.mark.parametrize("endpoint", WALKS)
def test_the_first_bad_parameter_is_named(admin_client: Client, endpoint: str) -> None:
    params, steps = WALKS[endpoint]
    walk(lambda p: admin_client.get(f"/query/{endpoint}", p), params, steps)


def test_the_polygon_body_is_read_between_the_dataset_and_the_options(
    admin_client: Client,
) -> None:
    square = {"type": "Polygon", "coordinates": [[[5, 52], [6, 52], [6, 53], [5, 52]]]}

    def send(params: dict[str, str]) -> Any:
        body = params.pop("body")
        url = "/query/parcelsByPolygon?" + "&".join(f"{k}={v}" for k, v in params.items())
        return admin_client.post(url, body, content_type="application/json")

    params = {"body": "not json", **BAD_DATASET, **BAD_OPTIONS, **BAD_FLAGS}
    steps = [*DATASET_STEPS, ("polygon", {"body": json.dumps(square)})]
    walk(lambda p: send(dict(p)), params, [*steps, *OPTION_STEPS, *FLAG_STEPS])
