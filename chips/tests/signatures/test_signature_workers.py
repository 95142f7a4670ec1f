"""Signatures computed by real Celery workers on Redis (testing.workers): the time series'
scenes as one task each, a repeated request joining the running work, and the bulk
extraction surviving a worker killed mid-task."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.management import call_command
from django.db import connection
from django.test import Client

from chips.models import ChipJob, JobKind, JobStatus, Scene, Signature, SignatureExtraction
from chips.tests.test_workers import big_jp2_scenes
from testing.auth import BasicAuth
from testing.workers import Broker, Worker, workers_on_queue

BROKER = os.environ.get("TEST_BROKER_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="TEST_BROKER_URL is not set (make test sets it)"),
]
PARCEL_TASK = re.compile(r"signatures: parcel (\d+) scene (\d+)")
SCENE_TASK = re.compile(r"signatures: dataset \d+ scene (\d+) started")


@pytest.fixture(scope="module")
def workers(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[Worker], Broker]]:
    with workers_on_queue(broker=BROKER, prefix="sig-test", folders=tmp_path_factory,
                          unblock=django_db_blocker.unblock) as started:  # fmt: skip
        yield started


@pytest.fixture
def on_workers(workers: tuple[list[Worker], Broker], settings: Any) -> Iterator[Any]:
    started, broker = workers
    settings.CHIP_REQUEST_WAIT_SECONDS = 60
    broker.use()
    offsets = {w.name: len(w.text()) for w in started}

    def lines() -> str:
        return "".join(w.text()[offsets[w.name] :] for w in started)

    try:
        yield started, lines, broker
    finally:
        broker.use(eager=True)


def test_time_series_on_the_workers_joins_running_work(
    on_workers: Any, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    _workers, lines, broker = on_workers
    url = (
        "/query/parcelTimeSeries?aoi=zz&year=2024&pid=inA&start_date=2024-06-01&end_date=2024-06-30"
    )
    answers: list[Any] = []

    def ask() -> None:
        try:
            answers.append(Client().get(url, **auth))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert [a.status_code for a in answers] == [200, 200, 200], [a.content for a in answers]
    bodies = [a.json() for a in answers]
    assert bodies[0] == bodies[1] == bodies[2] and len(bodies[0]["band"]) == 3
    # One task per scene, whichever request sent it: the others joined.
    tasks = Counter(PARCEL_TASK.findall(lines()))
    assert len(tasks) == 3 and set(tasks.values()) == {1}, tasks
    assert not ChipJob.objects.filter(kind=JobKind.SIGNATURES, status=JobStatus.RUNNING).exists()
    # The same numbers as this process computes without a broker.
    on_workers_rows = {(r.scene_id, r.band): r.mean for r in Signature.objects.all()}
    Signature.objects.all().delete()
    broker.use(eager=True)  # no broker: computed in this process
    here = Client().get(url, **auth).json()
    assert len(Counter(PARCEL_TASK.findall(lines()))) == 3  # no task more
    assert here == bodies[0]
    assert {(r.scene_id, r.band): r.mean for r in Signature.objects.all()} == on_workers_rows


def test_extract_signatures_survives_a_worker_killed_mid_task(
    on_workers: Any, parcels: dict[str, shapely.Polygon], tmp_path: Path
) -> None:
    started, lines, _broker = on_workers
    scenes = big_jp2_scenes(tmp_path / "jp2", 3)
    out = StringIO()
    errors: list[BaseException] = []

    def extract() -> None:
        try:
            call_command("extract_signatures", "--aoi", "zz", "--year", "2024",
                         "--bands", "B02,B03,B04,B08", stdout=out, stderr=StringIO())  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    command = threading.Thread(target=extract)
    command.start()
    deadline = time.monotonic() + 30
    victim = None
    while victim is None:
        assert time.monotonic() < deadline, lines()
        for w in started:
            if SCENE_TASK.search(w.text()):
                victim = w
                break
        else:
            time.sleep(0.01)
    children = victim.children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    command.join(120)
    assert not command.is_alive() and not errors, errors
    assert "3 scenes, 3 extracted, 0 already done, 0 failed" in out.getvalue(), out.getvalue()
    assert re.search(r"signal 9|SIGKILL|WorkerLostError", victim.text()), victim.text()
    # The killed task was redone: its scene was started twice in all.
    starts = Counter(SCENE_TASK.findall(lines()))
    assert sorted(starts.values()) == [1, 1, 2], starts
    assert SignatureExtraction.objects.filter(scene__in=scenes).count() == 3
    # Every parcel inside the 20 km square: 4 bands x 3 scenes each, no duplicate.
    inside = Signature.objects.filter(scene__in=scenes)
    assert inside.count() == inside.values("parcel", "scene", "band").distinct().count()
    assert {r.band for r in inside} == {"B02", "B03", "B04", "B08"}
    assert not ChipJob.objects.filter(kind=JobKind.SIGNATURES, status=JobStatus.RUNNING).exists()
