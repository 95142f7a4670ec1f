"""The warm path: a request whose chips are all held answers with a fixed, small number of
queries (whatever the number of chips) and opens no source file: the sources are removed
before it is asked again."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from testing import composite_archive as fx

pytestmark = pytest.mark.django_db(transaction=True)
JSON = {"Accept": "*/*"}


def where() -> str:
    lon, lat = fx.centre_lonlat()
    return f"lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01&end_date=2024-06-30"


def queries(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=JSON)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries), response.json()


def wait_done(client: Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (body := client.get(url, headers=JSON).json())["state"] == "running":
        assert time.monotonic() < deadline, body
        time.sleep(0.05)
    return body


@pytest.mark.parametrize("scenes", [2, 6])
def test_cached_raw_chips_answer_in_six_queries_without_the_sources(
    scenes: int, tmp_path: Path, chip_store: Path, staff_client: Client
) -> None:
    archive = tmp_path / "archive"
    fx.make_scenes(archive, scenes)
    url = f"/query/rawChipByLocation?{where()}&band=B08&chipsize=1280"
    cold = staff_client.get(url, headers=JSON).json()
    assert len(cold["chips"]) == scenes
    shutil.rmtree(archive)  # a warm answer reads no source file
    # The session and its user, the scenes, their assets, the client's cache and its
    # chips: 6, however many chips. The log row is queued, not written here.
    count, warm = queries(staff_client, url)
    assert warm == cold
    assert count == 6


@pytest.mark.parametrize("scenes", [2, 6])
def test_held_composites_answer_in_a_fixed_number_of_queries(
    scenes: int, tmp_path: Path, chip_store: Path, staff_client: Client, settings: Any
) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 24
    archive = tmp_path / "archive"
    fx.make_scenes(archive, scenes)
    url = f"/query/chipsByLocation?{where()}&format=json"
    done = wait_done(staff_client, url)
    assert done["state"] == "done" and len(done["chips"]) == scenes
    shutil.rmtree(archive)
    staff_client.get(url, headers=JSON)  # the PNGs' facts are read once per process
    count, warm = queries(staff_client, url)
    assert warm == done
    # The session and its user, the scenes, their assets, the client's cache, the running
    # job (none), the held composites and the request's last job (its empty chips, a recent
    # failure, its state): 8, however many composites.
    assert count == 8
