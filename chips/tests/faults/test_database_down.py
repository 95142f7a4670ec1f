"""The database down behind a TCP proxy on loopback (the server's DATABASE_URL points at
the proxy): every /query/ path and /dump/ answers 503 JSON while it is cut, and the same
requests answer again as soon as it is back, without a restart."""

from __future__ import annotations

import base64
import contextlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.db import connection

from testing import composite_archive as fx
from testing import servers
from testing.auth import PASSWORD
from testing.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TOKEN = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


def get(server: servers.Server, path: str, accept: str = "*/*") -> tuple[int, str, Any]:
    sent = {"Authorization": f"Basic {TOKEN}", "Accept": accept}
    request = urllib.request.Request(server.url(path), headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, exc.headers, exc.read()
    kind = headers.get("Content-Type", "")
    return status, kind, json.loads(raw) if kind.startswith("application/json") else raw


@contextlib.contextmanager
def behind_proxy(tmp_path: Path) -> Iterator[tuple[servers.Server, TcpProxy, str]]:
    """A server whose database is behind a proxy, and the raw chip request it answered
    once before the cut (its /dump/ paths are in the client's cache)."""
    if not connection.settings_dict["ENGINE"].endswith("postgis"):
        pytest.skip("the proxy stands between the server and PostgreSQL")
    fx.make_scenes(tmp_path / "archive", 2)
    user = User.objects.create(username="alice", is_staff=True)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000)
    user.save()
    db = connection.settings_dict
    port = int(db.get("PORT") or 5432)
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", port))
    proxy.up()
    url = servers.current_database_url().replace(f":{port}/", f":{proxy.port}/")
    env = servers.server_env(DATABASE_URL=url, CHIP_STORE=str(tmp_path / "store"))
    try:
        with servers.running(env, tmp_path / "server.log") as server:
            yield server, proxy, RAW
    finally:
        proxy.down()


LON, LAT = fx.centre_lonlat()
AT = f"lon={LON:.7f}&lat={LAT:.7f}"
WINDOW = "start_date=2024-05-01&end_date=2024-06-30"
RAW = f"/query/rawChipByLocation?{AT}&{WINDOW}&band=B04"
QUERY_PATHS = [
    "/query/info",
    f"/query/parcelByLocation?aoi=fr&year=2020&{AT}",
    "/query/parcelsByPolygon?aoi=fr&year=2020&polygon=5.0_45.0-5.1_45.0-5.1_45.1",
    RAW,
    f"/query/chipsByLocation?{AT}&{WINDOW}&format=json",
    f"/query/jobs/{uuid.uuid4()}",
]


def test_database_down_is_503_on_every_query_path_and_recovers(tmp_path: Path) -> None:
    with behind_proxy(tmp_path) as (server, proxy, raw):
        status, _, before = get(server, raw)
        assert status == 200 and len(before["chips"]) == 2, before
        proxy.down()
        for path in QUERY_PATHS:
            status, kind, body = get(server, path)
            assert status == 503, (path, status, body)
            assert kind.startswith("application/json") and body["error"], (path, body)
        proxy.up()
        assert get(server, "/query/info")[0] == 200  # at once, no restart
        status, _, after = get(server, raw)
        assert status == 200 and after["chips"] == before["chips"]
        assert get(server, after["chips"][0])[0] == 200


def test_database_down_is_503_on_dump(tmp_path: Path) -> None:
    with behind_proxy(tmp_path) as (server, proxy, raw):
        status, _, before = get(server, raw)
        assert status == 200, before
        dump = before["chips"][0]
        proxy.down()
        status, kind, body = get(server, dump)
        assert status == 503 and kind.startswith("application/json") and body["error"], body
        for page in (
            "/",
            "/query/chipsByLocation?lon=5&lat=52&start_date=2024-06-01&end_date=2024-06-02",
        ):
            status, kind, _ = get(server, page, accept="text/html")
            assert status == 503 and kind.startswith("text/html"), (page, status, kind)
        proxy.up()
        assert get(server, dump)[0] == 200
