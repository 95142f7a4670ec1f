"""extract_markers on real Celery workers (testing.workers, Redis): a batch per task, and a
worker killed in the middle of a batch (held inside its transaction by a table lock this
test takes, so the kill lands mid-unit for sure) loses nothing and duplicates nothing: its
batch is redelivered and redone, every parcel has one light and the same events as a run
without a broker."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from chips.models import ChipJob, JobKind, JobStatus
from markers.models import MarkerEvent, TrafficLight
from testing.workers import Broker, Worker, workers_on_queue

BROKER = os.environ.get("TEST_BROKER_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="TEST_BROKER_URL is not set (make test sets it)"),
]
STARTED = re.compile(r"markers: dataset \d+ batch (\S+) started")


@pytest.fixture(scope="module")
def workers(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[Worker], Broker]]:
    with workers_on_queue(broker=BROKER, prefix="markers-test", folders=tmp_path_factory,
                          unblock=django_db_blocker.unblock) as started:  # fmt: skip
        yield started


def _dsn() -> str:
    db = connection.settings_dict
    return (f"dbname={db['NAME']} user={db['USER']} host={db['HOST'] or '127.0.0.1'} "
            f"port={db['PORT'] or 5432}")  # fmt: skip


def _results() -> tuple[dict[str, str], Counter[tuple[str, str, str]]]:
    lights = {t.parcel.pid: t.light for t in TrafficLight.objects.select_related("parcel")}
    events = Counter(
        (e.parcel.pid, e.marker, e.date_main.isoformat())
        for e in MarkerEvent.objects.select_related("parcel")
    )
    return lights, events


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    workers: tuple[list[Worker], Broker], marked: dict[str, Any]
) -> None:
    started, broker = workers
    offsets = {w.name: len(w.text()) for w in started}

    def new_text(w: Worker) -> str:
        return w.text()[offsets[w.name] :]

    out, errors = StringIO(), []

    def extract() -> None:
        try:
            call_command("extract_markers", "--aoi", "nl", "--year", "2024", "--batch", "1",
                         "--no-signatures", stdout=out, stderr=StringIO())  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    # Batches may read but not write their events until this lock goes: each worker's
    # first batch waits inside its transaction.
    lock = psycopg.connect(_dsn())
    lock.execute(f"LOCK TABLE {MarkerEvent._meta.db_table} IN SHARE MODE")
    broker.use()
    try:
        command = threading.Thread(target=extract)
        command.start()
        deadline = time.monotonic() + 60
        victim = None
        while victim is None:
            assert time.monotonic() < deadline, [new_text(w) for w in started]
            victim = next((w for w in started if STARTED.search(new_text(w))), None)
            time.sleep(0.02)
        killed = STARTED.findall(new_text(victim))[-1]
        children = victim.children()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        lock.rollback()
        command.join(120)
    finally:
        lock.close()
        broker.use(eager=True)
    assert not command.is_alive() and not errors, errors
    assert "4 parcels, 4 computed in 4 batches, 0 already current" in out.getvalue(), (
        out.getvalue())  # fmt: skip
    assert re.search(r"signal 9|SIGKILL|WorkerLostError", new_text(victim)), new_text(victim)
    # The killed batch was started twice in all (redelivered), every other batch once.
    starts = Counter(k for w in started for k in STARTED.findall(new_text(w)))
    assert starts[killed] == 2 and sorted(starts.values()) == [1, 1, 1, 2], starts
    assert not ChipJob.objects.filter(kind=JobKind.MARKERS, status=JobStatus.RUNNING).exists()
    lights, events = _results()
    assert lights == {"mown": "green", "idle": "red", "ploughed": "red", "wheat": "yellow"}
    assert set(events.values()) == {1}, events  # no event recorded twice
    # The same results as a run in this process without a broker.
    call_command("extract_markers", "--aoi", "nl", "--year", "2024", "--batch", "1",
                 "--no-signatures", "--force", stdout=StringIO(), stderr=StringIO())  # fmt: skip
    assert _results() == (lights, events)
