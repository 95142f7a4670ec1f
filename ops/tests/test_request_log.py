"""The request log: one row per /query/ and /dump/ request with the right fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import timezone

from ops import log_writer
from ops.client_ip import client_ip
from ops.models import RequestLog
from testing.auth import basic

pytestmark = pytest.mark.django_db


def only_row() -> RequestLog:
    log_writer.flush()  # rows are written in batches: this writes them now
    rows = list(RequestLog.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_success_row(client, alice):
    before = timezone.now()
    response = client.get(
        "/query/probe?lon=5.1&lat=52.2&cut=3&cached=2&password=hunter2&band=B04&band=B08",
        **basic("alice"),
    )
    after = timezone.now()
    assert response.status_code == 200
    row = only_row()
    assert before <= row.time <= after
    assert row.ip == "127.0.0.1"
    assert row.user_id == alice.pk
    assert row.username == "alice"
    assert row.method == "GET"
    assert row.endpoint == "probe"
    assert row.params == {
        "lon": "5.1",
        "lat": "52.2",
        "cut": "3",
        "cached": "2",
        "band": ["B04", "B08"],
    }
    assert row.status == 200
    assert row.chips_cut == 3
    assert row.chips_cached == 2
    assert row.bytes_sent == len(response.content)
    assert 0 < row.duration_ms < (after - before).total_seconds() * 1000 + 1


def test_error_row(client, alice):
    response = client.get("/query/bad?lon=999", **basic("alice"))
    assert response.status_code == 400
    assert response.json()["param"] == "lon"
    row = only_row()
    assert (row.status, row.endpoint, row.user_id, row.username) == (400, "bad", alice.pk, "alice")
    assert row.params == {"lon": "999"}
    assert (row.chips_cut, row.chips_cached) == (0, 0)
    assert row.bytes_sent == len(response.content)


def test_unauthenticated_row_records_the_attempted_name(client, alice):
    response = client.get("/query/probe?cut=5", **basic("alice", "wrong"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="cbmweb"'
    row = only_row()
    assert row.status == 401
    assert row.user_id is None
    assert row.username == "alice"
    assert row.chips_cut == 0  # the view never ran
    assert row.bytes_sent == len(response.content)
    assert "wrong" not in json.dumps(row.params) + row.username


def test_no_credentials_row(client, ops_site):
    assert client.get("/query/probe").status_code == 401
    row = only_row()
    assert (row.user_id, row.username, row.status) == (None, "", 401)


def test_session_user_is_logged(client, alice):
    client.force_login(alice)
    assert client.get("/query/probe").status_code == 200
    assert only_row().user_id == alice.pk


def test_json_body_kept_without_secrets_and_still_readable_by_the_view(client, alice):
    body = {"lon": 5.0, "tiles": ["T1", "T2"], "password": "x", "geom": "1" * 1000}
    response = client.post(
        "/query/probe", data=json.dumps(body), content_type="application/json", **basic("alice")
    )
    assert response.status_code == 200
    assert response.json()["body"] == body  # the middleware read it; the view still can
    params = only_row().params
    assert params["body.lon"] == 5.0
    assert params["body.tiles"] == ["T1", "T2"]
    assert "body.password" not in params
    assert params["body.geom"] == "<1002 chars>"


def test_dump_file_logged_without_token(client, ops_site):
    token = "a" * 32
    response = client.get(f"/dump/{token}/S2A_x.B04.tif")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    row = only_row()
    assert row.endpoint == "dump"
    assert row.params == {"file": "S2A_x.B04.tif"}
    assert token not in json.dumps(row.params)
    assert row.bytes_sent == len(content) == Path(__file__).with_name("urls.py").stat().st_size
    assert row.user_id is None


def test_streamed_answer_counted_when_sent(client, ops_site):
    response = client.get("/dump/tok/stream/x.tif")
    log_writer.flush()
    assert RequestLog.objects.count() == 0  # queued once the answer has been sent
    assert b"".join(response.streaming_content) == b"abcdefg"
    assert only_row().bytes_sent == 7


def test_other_paths_not_logged(client, ops_site):
    client.get("/admin/login/")
    assert RequestLog.objects.count() == 0


def test_forwarded_for_ignored_without_trusted_proxy(client, alice):
    client.get("/query/probe", HTTP_X_FORWARDED_FOR="198.51.100.1", **basic("alice"))
    assert only_row().ip == "127.0.0.1"


def test_forwarded_for_from_trusted_proxy(client, alice, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    client.get(
        "/query/probe",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.1.2.3",
        **basic("alice"),
    )
    # 6.6.6.6 was written by the client itself: only the right-most untrusted hop counts.
    assert only_row().ip == "198.51.100.1"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: header ignored
        ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "198.51.100.1:5555", "198.51.100.1"),
        ("10.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("10.0.0.1", "10.0.0.9, 10.0.0.8", "10.0.0.9"),  # only proxies: the farthest
        ("10.0.0.1", "198.51.100.1, not-an-ip", "10.0.0.1"),
        ("10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_client_ip(settings, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_client_ip_trusted_proxies_as_env_string(settings):
    settings.TRUSTED_PROXIES = "10.0.0.0/8, 192.168.0.0/16"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.168.1.1", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "198.51.100.1"
