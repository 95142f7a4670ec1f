"""chipsByLocation's answer form: the HTML page for browsers and `*/*` (curl, requests, the
CbM client), JSON for `format=json` or an Accept that asks for JSON and not HTML. Its
errors: the HTML error page for browsers, JSON for everyone else."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/query/chipsByLocation?lon=5.0&lat=52.0&start_date=2024-06-01&end_date=2024-06-30"
PAGE = "text/html"
JSON = "application/json"


@pytest.mark.parametrize(
    "accept,extra,answer",
    [
        ("*/*", "", PAGE),  # curl, requests, the CbM client
        (None, "", PAGE),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "", PAGE),
        ("application/json, text/html", "", PAGE),
        ("application/json", "", JSON),  # the page's own polling
        ("application/json;q=0.9", "", JSON),
        ("*/*", "&format=json", JSON),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "&format=json", JSON),
    ],
)
def test_answer_form(
    client: Client, auth: BasicAuth, chip_store: Any, accept: str | None, extra: str, answer: str
) -> None:
    headers = {"Authorization": auth["HTTP_AUTHORIZATION"]}
    if accept is not None:
        headers["Accept"] = accept
    response = client.get(URL + extra, headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(answer)
    if answer == JSON:
        assert response.json()["total"] == 0
    else:
        assert "<h1>Chips at" in response.content.decode()


@pytest.mark.parametrize(
    "accept,answer",
    [("*/*", JSON), ("application/json", JSON), ("text/html,*/*;q=0.8", PAGE), (None, JSON)],
)
def test_error_form(client: Client, auth: BasicAuth, accept: str | None, answer: str) -> None:
    """Errors are the HTML error page for browsers only: every other client, `*/*` too,
    gets `{"error", "param"}`."""
    headers = {"Authorization": auth["HTTP_AUTHORIZATION"]}
    if accept is not None:
        headers["Accept"] = accept
    response = client.get(URL.replace("lon=5.0", "lon=500"), headers=headers)
    assert response.status_code == 400
    assert response["Content-Type"].startswith(answer)
    if answer == JSON:
        assert response.json()["param"] == "lon"


@pytest.mark.parametrize("fmt", ["", "&format=html", "&format=json"])
def test_options_answers_json_metadata(client: Client, auth: BasicAuth, fmt: str) -> None:
    response = client.options(URL + fmt, headers={"Authorization": auth["HTTP_AUTHORIZATION"]})
    assert response.status_code == 200
    assert response.json()["name"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize("credentials", [True, False])
def test_drf_errors_of_the_pages_are_json_even_with_format_html(
    client: Client, auth: BasicAuth, method: str, credentials: bool
) -> None:
    headers = {"Authorization": auth["HTTP_AUTHORIZATION"]} if credentials else {}
    response = getattr(client, method)(URL + "&format=html", headers=headers)
    assert response.status_code == (405 if credentials else 401)
    assert response["Content-Type"].startswith(JSON) and response.json()["error"]
    if not credentials:
        assert "Basic" in response["WWW-Authenticate"]
