"""The status table: each listed error class answers its status (the most specific class
wins); an error the table does not list is the server's fault, as in titiler's table: 500,
its traceback logged, and the client told nothing of it (its message may name internals)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import RequestFactory
from rest_framework.response import Response

from common import errors
from common.http_errors import STATUS_CODES, api_exception_handler, error_response, status_of

SECRET = "/srv/archive/secret/path.jp2 exploded"


class Unlisted(errors.ServiceError):
    """A new error class somebody forgot to put in the table."""


def raised() -> Unlisted:
    """An Unlisted error with a traceback, as a view would let it out."""
    try:
        raise Unlisted(SECRET, param="band")
    except Unlisted as exc:
        return exc


@pytest.mark.parametrize(
    "cls,status",
    [
        (errors.BadParameter, 400),
        (errors.Forbidden, 403),
        (errors.NotFound, 404),
        (errors.PayloadTooLarge, 413),
        (errors.BackendUnavailable, 503),
        (errors.ArchiveUnavailable, 503),  # a subclass: its listed parent's status
    ],
)
def test_listed_classes_and_their_subclasses_answer_their_status(
    cls: type[errors.ServiceError], status: int
) -> None:
    exc = cls("the archive") if cls is errors.ArchiveUnavailable else cls("x")
    assert status_of(exc) == status


def test_every_listed_status_is_a_client_or_backend_error() -> None:
    assert all(400 <= s < 500 or s == 503 for s in STATUS_CODES.values())


def test_an_unlisted_error_is_500() -> None:
    assert status_of(raised()) == 500
    assert status_of(errors.ServiceError("bare base class")) == 500


@pytest.mark.parametrize("style", ["plain", "page"])
def test_unlisted_error_answers_generic_json_and_logs_the_traceback(
    rf: RequestFactory, caplog: pytest.LogCaptureFixture, style: str
) -> None:
    request = rf.get("/query/chipsByLocation", HTTP_ACCEPT="application/json")
    with caplog.at_level(logging.ERROR, logger="common.http_errors"):
        response = error_response(raised(), request=request, style=style)  # type: ignore[arg-type]
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body == {"error": "internal error"}
    assert SECRET not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "common.http_errors"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is Unlisted
    assert SECRET in str(record.exc_info[1])  # the operator sees it; the client does not


def test_unlisted_error_on_a_page_for_a_browser_is_the_500_error_page(
    rf: RequestFactory, caplog: pytest.LogCaptureFixture
) -> None:
    request = rf.get("/query/chipsByLocation", HTTP_ACCEPT="text/html,*/*;q=0.8")
    with caplog.at_level(logging.ERROR, logger="common.http_errors"):
        response = error_response(raised(), request=request, style="page")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "internal error" in page
    assert SECRET not in page and "Unlisted" not in page


def test_unlisted_error_through_the_drf_handler(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="common.http_errors"):
        response = api_exception_handler(raised(), {"view": None, "request": None})
    assert isinstance(response, Response)
    assert response.status_code == 500
    assert response.data == {"error": "internal error"}
    assert any(r.exc_info for r in caplog.records if r.name == "common.http_errors")


def test_a_listed_error_keeps_its_message_and_logs_nothing(
    rf: RequestFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="common.http_errors"):
        response = error_response(errors.BadParameter("band is required", param="band"))
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "band is required", "param": "band"}
    assert not [r for r in caplog.records if r.name == "common.http_errors"]
