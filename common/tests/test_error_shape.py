"""Every /query/ and /dump/ error is JSON in the contract's shape, with its own status:
bodies and queries over Django's upload limits, unknown paths and job ids, unknown formats,
methods /dump/ does not serve. Elsewhere the site's pages stay as they were."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db
BATCH = {"lon": 5.0, "lat": 52.0, "tiles": ["S2A_MSIL2A_20240601T104031_N0510_R008_T31UFU"]}
POLYGON = {"type": "Polygon", "coordinates": [[[5, 52], [5.1, 52], [5.1, 52.1], [5, 52]]]}


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return dict(body)


@pytest.mark.parametrize(
    "url,body",
    [("/query/rawChipsBatch", BATCH), ("/query/parcelsByPolygon?aoi=nl&year=2024", POLYGON)],
)
@pytest.mark.parametrize("limit", [None, 2000])
def test_body_over_the_upload_limit_is_413_body(
    client: Client,
    auth: BasicAuth,
    settings: Any,
    url: str,
    body: dict[str, Any],
    limit: int | None,
) -> None:
    if limit is not None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = limit
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    padded = json.dumps({**body, "pad": ""})
    text = padded[:-2] + " " * (size - len(padded)) + padded[-2:]
    assert len(text) == size
    response = client.post(url, text, content_type="application/json", **auth)
    assert error_of(response, 413)["param"] == "body"


@pytest.mark.parametrize("path", ["rawChipByLocation", "parcelByID", "info", "chipsByLocation"])
def test_more_parameters_than_the_limit_is_400_json(
    client: Client, auth: BasicAuth, settings: Any, path: str
) -> None:
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.get(f"/query/{path}?{query}", **auth)
    assert "parameters" in error_of(response, 400)["error"]


def test_form_body_with_too_many_fields_is_400_json(client: Client, auth: BasicAuth) -> None:
    body = "&".join(f"p{i}=1" for i in range(1100))
    response = client.post(
        "/query/rawChipsBatch", body, content_type="application/x-www-form-urlencoded", **auth
    )
    error_of(response, 400)


@pytest.mark.parametrize(
    "path", ["jobs/not-a-uuid", "jobs/", "noSuchEndpoint", "info/extra", "", "rawChipByLocation/"]
)
@pytest.mark.parametrize("credentials", [True, False])
def test_unknown_query_paths_are_404_json(
    client: Client, auth: BasicAuth, path: str, credentials: bool
) -> None:
    headers = {"Accept": "text/html"}
    if credentials:
        headers["Authorization"] = auth["HTTP_AUTHORIZATION"]
    response = client.get(f"/query/{path}", headers=headers)
    error_of(response, 404)


def test_unknown_dump_path_is_404_json(client: Client) -> None:
    error_of(client.get("/dump/too/many/parts.tif"), 404)


def test_unknown_site_path_is_the_html_404(client: Client) -> None:
    response = client.get("/no/such/page", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["info", "rawChipByLocation", "parcelByID", "chipsByLocation"])
@pytest.mark.parametrize("fmt", ["xml", "csv", "", "%00"])
def test_unknown_format_is_400_format(client: Client, auth: BasicAuth, path: str, fmt: str) -> None:
    # Asked for JSON: the composite pages answer their errors as pages to */* (browsers).
    response = client.get(f"/query/{path}?format={fmt}x", HTTP_ACCEPT="application/json", **auth)
    body = error_of(response, 400)
    assert body["param"] == "format" and body["error"].startswith("format=")


@pytest.mark.parametrize("method", ["options", "post", "put", "delete", "patch", "trace"])
def test_dump_answers_get_and_head_only(client: Client, method: str) -> None:
    url = "/dump/abcdefghijklmnopqrstuv/S2A_MSIL2A_20240601T104031_N0510_R008_T31UFU.B04.tif"
    response = getattr(client, method)(url)
    error_of(response, 405)
    assert response["Allow"] == "GET, HEAD"
    assert client.head(url).status_code == 404  # HEAD is served: no such file here


@pytest.mark.parametrize("method", ["QUERY", "PROPFIND", "POST"])
def test_dump_refuses_other_methods_past_csrf(method: str) -> None:
    """Outside the test client's CSRF exemption too: a 405, not the CSRF 403 page."""
    client = Client(enforce_csrf_checks=True)
    url = "/dump/abcdefghijklmnopqrstuv/S2A_MSIL2A_20240601T104031_N0510_R008_T31UFU.B04.tif"
    response = client.generic(method, url)
    error_of(response, 405)
