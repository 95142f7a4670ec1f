"""Chips cut by real Celery workers on a real broker: two `celery -A cbmweb worker`
processes started here (prefork, one child each, a queue of their own), the PostGIS test
database and a chip store shared with them.

Needs TEST_BROKER_URL (a Redis URL; `make test` sets it); the RabbitMQ smoke test needs a
broker on 127.0.0.1:5672. Extractions are counted from the workers' own log lines.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from django.db import connection
from django.test import Client

from chips.catalogue import planning
from chips.models import Asset, CachedChip, ChipJob, Scene
from chips.tasks import run_unit
from testing import composite_archive as fx
from testing.auth import BasicAuth, basic, make_user
from testing.rasters import write_band
from testing.raw_archive import P_OVERLAP_UTM31, build_archive
from testing.scenes import footprint_of, make_scene, to_lonlat
from testing.workers import Broker, Worker, start_workers, stop_workers

BROKER = os.environ.get("TEST_BROKER_URL", "")
AMQP = "amqp://guest:guest@127.0.0.1:5672//"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="TEST_BROKER_URL is not set (make test sets it)"),
]
LONLAT = to_lonlat(32631, *P_OVERLAP_UTM31)
EXTRACTED = re.compile(r"extracted chip (\w+)")


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-store")


@pytest.fixture(scope="module")
def redis_workers(
    django_db_setup, django_db_blocker, shared_store: Path, tmp_path_factory
) -> Iterator[tuple[list[Worker], Broker]]:
    queue = f"chips-test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        workers = start_workers(broker=BROKER, count=2, queue=queue, store=shared_store,
                                folder=tmp_path_factory.mktemp("worker-logs"))  # fmt: skip
    broker = Broker(BROKER, queue)
    try:
        yield workers, broker
    finally:
        broker.use(eager=True)
        stop_workers(workers)


@pytest.fixture
def on_workers(redis_workers, shared_store: Path, settings) -> Iterator[tuple[list[Worker], dict]]:
    """The test's requests go to the two workers; the store starts empty."""
    workers, broker = redis_workers
    for item in shared_store.iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    settings.CHIP_STORE = shared_store
    settings.CHIP_REQUEST_WAIT_SECONDS = 60
    broker.use()
    offsets = {w.name: len(w.text()) for w in workers}
    try:
        yield workers, offsets
    finally:
        broker.use(eager=True)


def new_lines(workers: list[Worker], offsets: dict[str, int]) -> dict[str, str]:
    return {w.name: w.text()[offsets[w.name] :] for w in workers}


def batch(client: Client, auth: BasicAuth, tiles: list[str], bands: list[str], **extra) -> tuple:
    lon, lat = LONLAT
    body = {"lon": lon, "lat": lat, "tiles": tiles, "bands": bands, "chipsize": 1280, **extra}
    response = client.post("/query/rawChipsBatch", body, content_type="application/json", **auth)
    return response.status_code, response.json()


def stored(store: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (store / "raw").glob("*/*.tif")}


def test_work_spreads_over_both_and_matches_in_process(
    on_workers, tmp_path: Path, settings
) -> None:
    workers, offsets = on_workers
    scenes = build_archive(tmp_path / "rasters")
    make_user("ana")
    # The scenes that hold the point (the zone-border pair lies elsewhere).
    tiles = [scenes[k].product_id for k in ("A1", "B1", "A2", "A3old", "A3new")]
    status, body = batch(Client(), basic("ana"), tiles, ["B04", "SCL"])
    assert status == 200, body
    assert len(body["chips"]) == 2 * len(tiles)
    logs = new_lines(workers, offsets)
    # One task per scene, and both workers took some.
    per_worker = {name: len(re.findall(r"job [\w-]+: scene \d+, 2 chips", text))
                  for name, text in logs.items()}  # fmt: skip
    assert sum(per_worker.values()) == len(tiles) and all(per_worker.values()), per_worker
    # The job is the broker's; its tasks wrote its heartbeat as they ran (chips.work.liveness).
    job = ChipJob.objects.get()
    assert job.owner == "broker" and job.heartbeat is not None
    assert job.created <= job.heartbeat <= job.updated
    on_workers_files = stored(settings.CHIP_STORE)
    assert len(on_workers_files) == 2 * len(tiles)

    # The embedded path (no broker) writes the very same bytes.
    run_unit.app.conf.update(task_always_eager=True)
    settings.CHIP_STORE = tmp_path / "in-process"
    make_user("bo")
    status, in_process = batch(Client(), basic("bo"), tiles, ["B04", "SCL"])
    assert status == 200 and in_process["dates"] == body["dates"]
    assert stored(settings.CHIP_STORE) == on_workers_files


def test_a_broken_unit_reports_only_its_dates_on_the_workers(on_workers, tmp_path: Path) -> None:
    """The same rule as in process (test_work_modes.py): a scene's band file that fails
    at its cut on a worker fails that entry's date only; the job closes with the others."""
    scenes = build_archive(tmp_path / "rasters")
    planning.learn_grids(list(Asset.objects.all()))  # planned: the file fails at its cut
    broken = scenes["A2"]
    asset = broken.assets.get(band="B04")
    asset.href = str(tmp_path / "gone" / "B04.jp2")
    asset.save()
    make_user("ana")
    tiles = [scenes[k].product_id for k in ("B1", "A2", "A3new")]
    status, body = batch(Client(), basic("ana"), tiles, ["B04", "SCL"])
    assert status == 200, body
    failed = {d for d, e in zip(body["dates"], body["errors"], strict=True) if e}
    assert failed == {f"{broken.sensing_key}_B04"}
    job = ChipJob.objects.get()
    assert job.owner == "broker" and job.status == "done" and not job.failure
    assert job.done == job.total == len(body["dates"]) == 6 and set(job.errors) == failed


def test_ten_identical_requests_cut_each_chip_once(on_workers, tmp_path: Path) -> None:
    workers, offsets = on_workers
    build_archive(tmp_path / "rasters")
    make_user("ana")
    auth = basic("ana")
    lon, lat = LONLAT
    params = {"lon": str(lon), "lat": str(lat), "start_date": "2024-06-01",
              "end_date": "2024-07-31", "band": "B04"}  # fmt: skip
    answers: list[tuple[int, dict]] = []
    gate = threading.Barrier(10)

    def ask() -> None:
        try:
            gate.wait()
            response = Client().get("/query/rawChipByLocation", params, **auth)
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(answers) == 10 and {s for s, _ in answers} == {200}, answers
    first = answers[0][1]
    assert len(first["chips"]) == 3 and all(a == first for _, a in answers)
    cuts = Counter(k for text in new_lines(workers, offsets).values()
                   for k in EXTRACTED.findall(text))  # fmt: skip
    assert len(cuts) == 3 and set(cuts.values()) == {1}, cuts
    assert CachedChip.objects.count() == 3 and ChipJob.objects.count() == 1


def big_jp2_scenes(folder: Path, count: int) -> list[Scene]:
    """Scenes of four 2048 px JPEG 2000 bands of noise: slow enough to decode that a task
    is still running when the test kills its worker."""
    import datetime as dt

    epsg, ulx, uly, res = 32631, 600000.0, 5803020.0, 10
    n = 2048
    bands = {}
    for i, band in enumerate(("B02", "B03", "B04", "B08")):
        data = np.random.default_rng(i).integers(1, 30000, size=(n, n), dtype=np.uint16)
        path = folder / f"{band}.jp2"
        write_band(path, data, epsg=epsg, ulx=ulx, uly=uly, res=res, driver="JP2OpenJPEG")
        bands[band] = (path, res)
    footprint = footprint_of(epsg, ulx, uly - n * res, ulx + n * res, uly)
    start = dt.datetime(2024, 6, 1, 10, 40, 31, tzinfo=dt.UTC)
    return [
        make_scene(
            tile="31UFU",
            epsg=epsg,
            sensing=start + dt.timedelta(days=5 * i),
            footprint=footprint,
            bands=bands,
            source_format="safe",
        )  # fmt: skip
        for i in range(count)
    ]


def test_worker_killed_mid_task_every_chip_delivered(on_workers, tmp_path: Path, settings) -> None:
    workers, offsets = on_workers
    scenes = big_jp2_scenes(tmp_path / "jp2", 3)
    make_user("ana")
    auth = basic("ana")
    tiles = [s.product_id for s in scenes]
    bands = ["B02", "B03", "B04", "B08"]
    client = Client()
    lon, lat = to_lonlat(32631, 600000 + 10240, 5803020 - 10240)
    body = {"lon": lon, "lat": lat, "tiles": tiles, "bands": bands, "chipsize": 5120,
            "async": True}  # fmt: skip
    response = client.post("/query/rawChipsBatch", body, content_type="application/json", **auth)
    assert response.status_code == 202
    job_id = response.json()["job"]
    # Kill the child of the first worker that starts a scene of this job, mid-task.
    started = re.compile(rf"job {job_id}: scene (\d+)")
    deadline = time.monotonic() + 30
    victim = None
    while victim is None:
        assert time.monotonic() < deadline, new_lines(workers, offsets)
        for w in workers:
            if started.search(new_lines([w], offsets)[w.name]):
                victim = w
                break
        else:
            time.sleep(0.01)
    killed = victim.children()
    assert len(killed) == 1
    os.kill(killed[0], signal.SIGKILL)

    job = ChipJob.objects.get(pk=job_id)
    deadline = time.monotonic() + 60
    while job.status == "running":
        assert time.monotonic() < deadline, new_lines(workers, offsets)
        time.sleep(0.1)
        job.refresh_from_db()
    assert job.status == "done" and job.done == job.total == 12 and not job.errors
    logs = new_lines(workers, offsets)
    assert re.search(r"signal 9|SIGKILL|WorkerLostError", logs[victim.name]), logs[victim.name]
    # The killed task was redone: its scene was started twice in all.
    starts = Counter(s for text in logs.values() for s in started.findall(text))
    assert sorted(starts.values()) == [1, 1, 2], starts
    answer = Client().post("/query/rawChipsBatch", {**body, "async": False},
                           content_type="application/json", **auth).json()  # fmt: skip
    assert len(answer["chips"]) == 12
    assert CachedChip.objects.count() == 12  # no duplicate record
    for chip in answer["chips"]:
        download = client.get(chip)
        assert download.status_code == 200
        assert download.getvalue()[:4] == b"II*\x00"
    assert list(Path(settings.CHIP_STORE).rglob(".part-*")) == []  # no partial file left


def test_composite_page_on_the_workers(on_workers, tmp_path: Path) -> None:
    workers, offsets = on_workers
    scenes = fx.make_scenes(tmp_path / "archive", 3)
    client = Client()
    client.force_login(make_user("ana"))
    lon, lat = fx.centre_lonlat()
    url = (f"/query/chipsByLocation?lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01"
           "&end_date=2024-06-30&format=json")  # fmt: skip
    deadline = time.monotonic() + 60
    while (body := client.get(url).json())["state"] == "running":
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    assert body["state"] == "done" and body["dates"] == [s.sensing_key for s in scenes]
    for chip in body["chips"]:
        png = client.get(chip).getvalue()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    made = [m for t in new_lines(workers, offsets).values()
            for m in re.findall(r"composite of scene (\d+)", t)]  # fmt: skip
    assert sorted(made) == sorted(str(s.pk) for s in scenes)
    assert ChipJob.objects.get().kind == "composite"


def amqp_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not amqp_up(), reason="no RabbitMQ on 127.0.0.1:5672")
def test_rabbitmq_worker_smoke(tmp_path: Path, chip_store: Path) -> None:
    queue = f"chips-test-{uuid.uuid4().hex[:8]}"
    build_archive(tmp_path / "rasters")
    workers = start_workers(broker=AMQP, count=1, queue=queue, store=chip_store, folder=tmp_path)
    broker = Broker(AMQP, queue)
    try:
        broker.use()
        make_user("ana")
        lon, lat = LONLAT
        response = Client().get(
            "/query/rawChipByLocation",
            {"lon": str(lon), "lat": str(lat), "start_date": "2024-06-01",
             "end_date": "2024-06-30", "band": "B04"},
            **basic("ana"),
        )  # fmt: skip
        assert response.status_code == 200 and len(response.json()["chips"]) == 3
        assert len(EXTRACTED.findall(workers[0].text())) == 3
    finally:
        broker.use(eager=True)
        stop_workers(workers)
