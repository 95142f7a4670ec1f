"""Answers outside the views' own paths: deeply nested bodies before and after
authentication, and the database unreachable (/dump/, the front page, the chip pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import Client

from testing.auth import BasicAuth

QUERY_PATHS = [
    "rawChipByLocation", "rawChipByParcelID", "rawChipByParcelId", "rawChipsBatch",
    "chipsByLocation", "chipsByParcelID", "chipsByParcelId", "parcelByLocation", "parcelByID",
    "parcelById", "parcelsByPolygon", "parcelPeers", "info",
    "jobs/00000000-0000-0000-0000-000000000000", "noSuchEndpoint",
]  # fmt: skip
DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("path", QUERY_PATHS)
@pytest.mark.parametrize("credentials", [True, False])
def test_deep_json_bodies_answer_4xx_json(
    client: Client, auth: BasicAuth, path: str, method: str, credentials: bool
) -> None:
    headers = dict(auth) if credentials else {}
    for body in (DEEP, DEEP_OBJECT):
        response = getattr(client, method)(
            f"/query/{path}?aoi=nl&year=2024", body, content_type="application/json", **headers
        )
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        assert "error" in response.json()
        if credentials and method == "post" and path in ("rawChipsBatch", "parcelsByPolygon"):
            assert response.status_code == 400
            assert response.json()["param"] in ("body", "polygon")


@pytest.mark.django_db
def test_deep_batch_body_names_the_body(client: Client, auth: BasicAuth) -> None:
    response = client.post("/query/rawChipsBatch", DEEP, content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["param"] == "body"


@pytest.fixture
def database_down(transactional_db: None) -> Iterator[None]:
    """The default database pointed at a port where nothing listens: a real outage."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.mark.parametrize(
    "url",
    [
        "/dump/abcdefghijklmnopqrstuv/S2A_MSIL2A_20240601T104031_N0510_R008_T31UFU.B04.tif",
        "/query/info",
        "/query/chipsByLocation?lon=5&lat=52&start_date=2024-06-01&end_date=2024-06-30",
        "/query/rawChipByLocation?lon=5&lat=52&start_date=2024-06-01&end_date=2024-06-30",
    ],
)
def test_database_down_is_503_json(database_down: None, url: str) -> None:
    client = Client()
    response = client.get(
        url, HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION="Basic ZGVtbzpkZW1v"
    )
    assert response.status_code == 503
    assert response.json()["error"].startswith("database unavailable")


@pytest.mark.parametrize(
    "url", ["/", "/query/chipsByLocation?lon=5&lat=52&start_date=2024-06-01&end_date=2024-06-30"]
)
def test_database_down_is_the_503_page_for_browsers(database_down: None, url: str) -> None:
    response = Client().get(url, HTTP_AUTHORIZATION="Basic ZGVtbzpkZW1v", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "database unavailable" in response.content.decode()
