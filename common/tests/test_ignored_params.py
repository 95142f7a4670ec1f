"""Unknown query parameters: never a 400, named in `CbM-Ignored-Parameters` on every /query/
answer; the parameters an endpoint knows (the published schema's) never named."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

from common.ignored_params import HEADER, MAX_NAMES

pytestmark = pytest.mark.django_db


def schema_query_endpoints(client: Client) -> dict[str, set[str]]:
    """{path: query parameter names} of the GET endpoints under /query/ in /api/schema/,
    path parameters filled in."""
    schema = yaml.safe_load(client.get("/api/schema/").content)
    endpoints = {}
    for path, operations in schema["paths"].items():
        if path.startswith("/query/") and "get" in operations:
            url = path.replace("{job_id}", "00000000-0000-0000-0000-000000000000")
            parameters = operations["get"].get("parameters", [])
            endpoints[url] = {p["name"] for p in parameters if p["in"] == "query"}
    return endpoints


def test_every_query_endpoint_names_what_it_ignored(staff_client: Client) -> None:
    endpoints = schema_query_endpoints(staff_client)
    assert len(endpoints) >= 15 and "/query/rawChipByLocation" in endpoints
    for url, known in endpoints.items():
        # Known names with bad values, and unknown ones: the known are never named, even in
        # the 400 the bad values cause; the unknown are, in request order.
        query = {**{name: "x" for name in sorted(known)}, "foo": "1", "zz_top": "2"}
        answer = staff_client.get(url, query)
        assert answer[HEADER] == "foo, zz_top", (url, answer.status_code)
        if answer.status_code == 400:
            assert answer.json()["param"] in known, url  # a known one was bad, not foo


def test_an_unknown_parameter_is_no_400(staff_client: Client) -> None:
    answer = staff_client.get("/query/info", {"foo": "1"})
    assert answer.status_code == 200 and answer[HEADER] == "foo"
    plain = staff_client.get("/query/info")
    assert HEADER not in plain
    # DRF's format override is known everywhere.
    assert HEADER not in staff_client.get("/query/info", {"format": "json"})


def test_a_misspelt_parameter_is_named_beside_the_error_it_causes(staff_client: Client) -> None:
    answer = staff_client.get(
        "/query/rawChipByLocation",
        {"lon": "5.1", "lat": "52.1", "start_dat": "2024-06-01", "end_date": "2024-06-30",
         "band": "B04"},
    )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["param"] == "start_date"
    assert answer[HEADER] == "start_dat"


def test_names_are_encoded_and_bounded(staff_client: Client) -> None:
    answer = staff_client.get("/query/info?a%2Cb=1&caf%C3%A9=2&x%0Ay=3")
    assert answer.status_code == 200
    assert answer[HEADER] == "a%2Cb, caf%C3%A9, x%0Ay"  # one name each, ASCII
    many = "&".join(f"p{i}=1" for i in range(MAX_NAMES + 5))
    names = staff_client.get(f"/query/info?{many}")[HEADER].split(", ")
    assert names[:MAX_NAMES] == [f"p{i}" for i in range(MAX_NAMES)]
    assert names[MAX_NAMES:] == ["+5 more"]


def test_not_outside_query(staff_client: Client) -> None:
    assert HEADER not in staff_client.get("/api/schema/", {"foo": "1"})
