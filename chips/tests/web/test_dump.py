"""/dump/<token>/<file>: recorded files only, no credentials, 404 for everything else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from chips import delivery
from chips.cache import flush_cache
from chips.models import Scene
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import to_lonlat

pytestmark = pytest.mark.django_db


@pytest.fixture
def chips(archive: dict[str, Scene]) -> dict[str, list[str]]:
    lon, lat = to_lonlat(32631, *P_OVERLAP_UTM31)
    out = {}
    for name in ("ana", "bo"):
        answer = delivery.raw_chips_by_location(
            user=User.objects.create(username=name), ip="10.1.1.1", lon=lon, lat=lat,
            start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 30), band="B04", chipsize=1280,
            level="LEVEL2A",
        ).body  # fmt: skip
        assert answer is not None
        out[name] = answer["chips"]
    return out


def test_serves_recorded_file_without_credentials(client, chips) -> None:
    response = client.get(chips["ana"][0])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/tiff"
    assert b"".join(response.streaming_content)[:4] in (b"II*\x00", b"MM\x00*")
    # Saved under the name the URL gives (<product>.<band>.tif), not the store's hash.
    name = chips["ana"][0].rsplit("/", 1)[1]
    assert response["Content-Disposition"] == f'inline; filename="{name}"'


@pytest.mark.parametrize(
    "path",
    [
        "/dump/{tok}/..%2F..%2Fsettings.py",
        "/dump/{tok}/..",
        "/dump/{tok}/%2E%2E/{name}",
        "/dump/{tok}/raw%2F{name}",
        "/dump/{tok}/../{tok}/nothing.tif",
        "/dump/{tok}/S2A_MSIL2A_X.B04.tif",
        "/dump/{guess}/{name}",
        "/dump/{tok}/{name}.aux.xml",
        "/dump/{tok}",
    ],
)
def test_path_tricks_get_404(client, chips, path: str) -> None:
    _, _, tok, name = chips["ana"][0].split("/")
    guess = tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB")
    assert client.get(path.format(tok=tok, name=name, guess=guess)).status_code == 404


def test_another_clients_token_does_not_open_my_files(client, chips) -> None:
    _, _, tok_bo, _ = chips["bo"][0].split("/")
    # bo's token with the name of one of ana's files: both hold the same products here,
    # so the answer must come from bo's own record; a name bo does not hold is 404.
    assert client.get(f"/dump/{tok_bo}/{chips['ana'][0].split('/')[3]}").status_code == 200
    assert client.get(f"/dump/{tok_bo}/S2B_MSIL2A_OTHER.B04.tif").status_code == 404


def test_flushed_file_is_404(client, chips) -> None:
    flush_cache(username="ana")
    assert client.get(chips["ana"][0]).status_code == 404
    assert client.get(chips["bo"][0]).status_code == 200


def test_download_logged_for_the_cache_owner(client, chips) -> None:
    from ops import log_writer
    from ops.models import RequestLog

    log_writer.flush()
    RequestLog.objects.all().delete()
    response = client.get(chips["bo"][0])  # no credentials: the token opens the cache
    body = b"".join(response.streaming_content)  # the row is queued once it is sent
    log_writer.flush()
    row = RequestLog.objects.get(endpoint="dump")
    assert row.user_id == User.objects.get(username="bo").pk
    assert row.username == "bo"  # the log's user column names the owner, not "no user"
    assert row.status == 200 and row.bytes_sent == len(body)
