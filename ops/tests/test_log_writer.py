"""The request log's writer thread (ops.log_writer): rows arrive without anyone flushing,
a full batch goes at once, flush() writes everything queued, and concurrent requests lose no
row. Committed data (transactional_db): the writer has its own connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from ops import log_writer
from ops.models import RequestLog
from testing.auth import basic

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def writer(ops_site: Any, settings: Any) -> Iterator[log_writer.LogWriter]:
    """The process's writer with its thread on; stopped (and its connection closed) after."""
    settings.REQUEST_LOG_BACKGROUND = True
    yield log_writer.WRITER
    log_writer.WRITER.stop()


def wait_rows(count: int, timeout: float = 10) -> float:
    """Seconds until `count` rows are in (read on this thread's own connection)."""
    began = time.monotonic()
    while RequestLog.objects.count() < count:
        assert time.monotonic() - began < timeout, RequestLog.objects.count()
        time.sleep(0.01)
    return time.monotonic() - began


def test_rows_arrive_within_the_interval(writer: Any, alice: Any, settings: Any) -> None:
    settings.REQUEST_LOG_FLUSH_MS = 100
    client = Client()
    for i in range(5):
        assert client.get(f"/query/probe?i={i}", **basic("alice")).status_code == 200
    assert RequestLog.objects.count() < 5  # queued, not written by the requests
    assert wait_rows(5) < 2
    rows = RequestLog.objects.order_by("time")
    assert [r.params["i"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert {r.username for r in rows} == {"alice"} and {r.status for r in rows} == {200}


def test_a_full_batch_goes_at_once(writer: Any, ops_site: Any, settings: Any) -> None:
    settings.REQUEST_LOG_FLUSH_MS = 60_000  # only a full batch can send them
    settings.REQUEST_LOG_BATCH = 10
    client = Client()
    for i in range(10):
        client.get(f"/query/probe?i={i}")
    assert wait_rows(10) < 5


def test_flush_writes_everything_queued(writer: Any, ops_site: Any, settings: Any) -> None:
    settings.REQUEST_LOG_FLUSH_MS = 60_000
    client = Client()
    for i in range(7):
        client.get(f"/query/probe?i={i}")
    assert log_writer.flush() + RequestLog.objects.count() >= 7
    assert RequestLog.objects.count() == 7  # in when flush() returns


def test_no_row_lost_under_concurrent_requests(writer: Any, ops_site: Any, settings: Any) -> None:
    settings.REQUEST_LOG_FLUSH_MS = 20
    settings.REQUEST_LOG_BATCH = 16  # many batches, written while requests keep coming
    threads, per_thread = 8, 25
    failures: list[BaseException] = []

    def ask(t: int) -> None:
        try:
            client = Client()
            for i in range(per_thread):
                # No credentials (a 401): the cheapest answer, so the most rows at once.
                assert client.get(f"/query/probe?t={t}&i={i}").status_code == 401
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=ask, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not failures, failures
    log_writer.flush()
    seen = sorted(
        (int(p["t"]), int(p["i"])) for p in RequestLog.objects.values_list("params", flat=True)
    )
    assert seen == [(t, i) for t in range(threads) for i in range(per_thread)]


def test_stop_writes_the_rest_and_ends_the_thread(
    writer: Any, ops_site: Any, settings: Any
) -> None:
    settings.REQUEST_LOG_FLUSH_MS = 60_000
    client = Client()
    for i in range(3):
        client.get(f"/query/probe?i={i}")
    log_writer.WRITER.stop()
    assert RequestLog.objects.count() == 3
    assert not any(t.name == "request-log-writer" for t in threading.enumerate())
