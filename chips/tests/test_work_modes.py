"""The work layer in process, in both of its modes: units made one at a time here (as a
Celery worker makes them) and on the cut pool. A unit's failure reports only its dates; a
pool worker killed mid-unit has its unit made again, once, and the job still closes whole.
The broker mode of the same rules is in test_workers.py."""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from chips.catalogue import planning
from chips.models import Asset, CachedChip, ChipJob, JobStatus, Scene
from chips.raster.errors import ChipError, ChipWriteFailed, SourceUnreadable
from chips.tests.test_workers import big_jp2_scenes
from chips.work import pool
from testing.auth import basic, make_user
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import to_lonlat

LONLAT = to_lonlat(32631, *P_OVERLAP_UTM31)


def test_chip_errors_pickle_with_their_message_and_fields() -> None:
    """Pool workers hand failures back as exceptions: they must cross the process line."""
    unreadable = SourceUnreadable("/archive/S2B_MSIL2A_X/B04.jp2", "no such file", band="B04")
    full = ChipWriteFailed("/store/raw/ab/ab.tif", "No space left", product="P", band="B04")
    for exc in (unreadable, full, ChipError("plain")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert back.__dict__ == exc.__dict__


@pytest.fixture(params=["one at a time", "cut pool"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Units made one at a time here (serial, as on a worker) or on the cut pool."""
    saved = pool._POOL.serial
    pool._POOL.serial = request.param == "one at a time"
    try:
        yield request.param
    finally:
        pool._POOL.serial = saved


@pytest.mark.django_db
def test_a_broken_unit_reports_only_its_dates(
    mode: str, archive: dict[str, Scene], chip_store: Path
) -> None:
    planning.learn_grids(list(Asset.objects.all()))  # planned: the file fails at its cut
    broken = archive["A2"]
    asset = broken.assets.get(band="B04")
    asset.href = str(chip_store.parent / "gone" / "B04.jp2")
    asset.save()
    make_user("ana")
    tiles = [archive[k].product_id for k in ("B1", "A2", "A3new")]
    lon, lat = LONLAT
    body = {"lon": lon, "lat": lat, "tiles": tiles, "bands": ["B04", "SCL"], "chipsize": 1280}
    response = Client().post(
        "/query/rawChipsBatch", body, content_type="application/json", **basic("ana")
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    failed = {d for d, e in zip(answer["dates"], answer["errors"], strict=True) if e}
    assert failed == {f"{broken.sensing_key}_B04"}  # its B04 only: its SCL is there
    job = ChipJob.objects.get()
    assert job.status == JobStatus.DONE and not job.failure
    assert job.done == job.total == len(answer["dates"]) == 6
    assert sum(1 for c in answer["chips"] if c) == 5
    assert set(job.errors) == failed


@pytest.fixture
def fresh_pool() -> Iterator[None]:
    """A pool of this process's own, given back unbroken for the tests after this one."""
    saved = pool._POOL.executor, pool._POOL.broken, pool._POOL.serial
    pool._POOL.executor, pool._POOL.broken, pool._POOL.serial = None, False, False
    try:
        yield
    finally:
        if pool._POOL.executor is not None:
            pool._POOL.executor.shutdown(wait=False, cancel_futures=True)
        pool._POOL.executor, pool._POOL.broken, pool._POOL.serial = saved


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_pool_worker_killed_mid_unit_is_made_again(
    fresh_pool: None, tmp_path: Path, chip_store: Path
) -> None:
    scenes = big_jp2_scenes(tmp_path / "jp2", 3)
    make_user("ana")
    lon, lat = to_lonlat(32631, 600000 + 10240, 5803020 - 10240)
    body = {"lon": lon, "lat": lat, "tiles": [s.product_id for s in scenes],
            "bands": ["B02", "B03", "B04", "B08"], "chipsize": 5120, "async": True}  # fmt: skip
    client = Client()
    auth = basic("ana")
    response = client.post("/query/rawChipsBatch", body, content_type="application/json", **auth)
    assert response.status_code == 202
    job = ChipJob.objects.get(pk=response.json()["job"])
    deadline = time.monotonic() + 30
    while not (pool._POOL.executor and pool._POOL.executor._processes):
        assert time.monotonic() < deadline, "the job never started the cut pool"
        time.sleep(0.01)
    time.sleep(0.3)  # its workers are decoding now
    victim = next(iter(pool._POOL.executor._processes))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while job.status == JobStatus.RUNNING:
        assert time.monotonic() < deadline, "the job never closed"
        time.sleep(0.1)
        job.refresh_from_db()
    # Every chip made, each recorded once; the pool was given up for threads.
    assert job.status == JobStatus.DONE and job.done == job.total == 12 and not job.errors
    assert pool._POOL.broken
    assert CachedChip.objects.count() == 12
    assert sorted(job.reported) == sorted(set(job.reported)) and len(job.reported) == 12
    files = [p for p in Path(chip_store).rglob("*.tif") if not p.name.startswith(".part-")]
    assert len(files) == 12
    answer = client.post("/query/rawChipsBatch", {**body, "async": False},
                         content_type="application/json", **auth).json()  # fmt: skip
    assert len(answer["chips"]) == 12 and "errors" not in answer
