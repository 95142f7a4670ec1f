"""A server killed with -9 mid-request: the next identical request, on the restarted
server, sees at once that the job's owner is gone, and cuts only the chips not yet in the
store (counted by the server's "extracted chip" log lines and the store's files).

Cutting is held up deterministically: three of the six scenes' B04 files are served over
HTTP on loopback by a server that answers them only once the test lets it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from chips.catalogue import planning
from chips.models import Asset, ChipJob, JobStatus
from chips.tests.test_remote_reads import RangeHandler, RangeServer
from testing import composite_archive as fx
from testing import servers
from testing.auth import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class HeldHandler(RangeHandler):
    """Answers a held file only once the server's `release` is set (bounded)."""

    server: HeldServer

    def _answer(self, *, body: bool) -> None:
        self.server.asked.set()
        self.server.release.wait(timeout=60)
        super()._answer(body=body)


class HeldServer(RangeServer):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.RequestHandlerClass = HeldHandler
        self.asked = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def held_server(tmp_path: Path) -> Iterator[HeldServer]:
    (tmp_path / "held").mkdir()
    server = HeldServer(tmp_path / "held")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


def server_user() -> None:
    """alice with a PBKDF2 hash the server (default hashers) verifies, cheaply."""
    user = User.objects.create(username="alice")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000)
    user.save()


def ask(server: servers.Server, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    lon, lat = fx.centre_lonlat()
    query = f"lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01&end_date=2024-06-30&band=B04"
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        server.url(f"/query/rawChipByLocation?{query}"),
        headers={"Authorization": f"Basic {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def ask_cut_short(server: servers.Server) -> None:
    """The request the kill cuts short (its connection drops unanswered)."""
    with contextlib.suppress(OSError):
        ask(server, timeout=30)


def raw_files(store: Path) -> list[Path]:
    return sorted(store.glob("raw/*/*.tif"))


def test_request_after_a_kill_cuts_only_the_missing_chips(
    tmp_path: Path, held_server: HeldServer
) -> None:
    store = tmp_path / "store"
    scenes = fx.make_scenes(tmp_path / "archive", 6)
    planning.learn_grids(list(Asset.objects.filter(band="B04")))  # grids known: no header read
    port = held_server.server_address[1]
    for scene in scenes[3:]:  # the last three scenes' B04 over the held server
        asset = Asset.objects.get(scene=scene, band="B04")
        name = f"{scene.product_id}.B04.tif"
        shutil.copy(asset.href, held_server.root / name)
        asset.href = f"http://127.0.0.1:{port}/{name}"
        asset.save()
    server_user()
    # A joined dead job would be waited out for CHIP_REQUEST_WAIT_SECONDS, then 202.
    env = servers.server_env(CHIP_STORE=str(store), CHIP_REQUEST_WAIT_SECONDS="20")
    log_first, log_second = tmp_path / "first.log", tmp_path / "second.log"

    with servers.running(env, log_first) as first:
        threading.Thread(target=ask_cut_short, args=(first,), daemon=True).start()
        assert held_server.asked.wait(timeout=60), first.output()[-2000:]
        deadline = 60.0
        while len(raw_files(store)) < 3 and deadline > 0:  # the three local files are cut
            held_server.release.wait(timeout=0.1)
            deadline -= 0.1
        assert len(raw_files(store)) == 3
        job = ChipJob.objects.get()
        assert job.status == JobStatus.RUNNING and job.owner.startswith("proc:")
        first.kill9()
    held_server.release.set()
    assert ChipJob.objects.get().status == JobStatus.RUNNING  # nobody closed it

    with servers.running(env, log_second, port=first.port) as second:
        status, body = ask(second)
        assert status == 200, body
    assert body["dates"] == [s.sensing_key for s in scenes]
    assert len(body["chips"]) == 6 and "errors" not in body
    assert len(raw_files(store)) == 6
    assert second.output().count("extracted chip") == 3  # only the three missing ones
    lost, redone = ChipJob.objects.order_by("created")
    assert lost.status == JobStatus.FAILED and "lost its workers" in lost.failure
    assert redone.status == JobStatus.DONE
