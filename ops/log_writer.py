"""The request log's writer: rows buffered in memory and written in batches by a background
thread of each process, off the request path.

A request only puts its row's values on a bounded queue (a few microseconds). The writer
thread (one per process, started by the first row, again after a fork) writes what is
queued with one multi-row INSERT in autocommit on its own connection:
REQUEST_LOG_FLUSH_MS after the first row of a batch came, or as soon as
REQUEST_LOG_BATCH rows wait. When the queue is full
(the database is slower than the requests) a request waits for room rather than drop its
row. flush() writes what is queued now and returns once it is committed: at exit (atexit,
which gunicorn's workers run when they stop; `worker_exit` below for a gunicorn config),
before a daily chip quota is summed (ops.quotas), and in tests.

What a crash can lose: the rows of the last REQUEST_LOG_FLUSH_MS (250 ms by default)
of a process killed hard (SIGKILL, out of memory, power loss); a normal stop (SIGTERM,
gunicorn's graceful or quick shutdown, runserver's Ctrl-C) writes them first.

With REQUEST_LOG_BACKGROUND off (the tests' default: their data lives in a transaction that
another connection would not see) no thread starts and rows wait for flush(), or are
written by the request that fills the batch, in its own thread and transaction.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections, router

from ops.models import RequestLog

logger = logging.getLogger(__name__)

# The log's columns, in INSERT order (every concrete field but the id).
_LOG_FIELDS = [field for field in RequestLog._meta.concrete_fields if not field.primary_key]
# Rows waiting at most: a few MB of memory; beyond it requests wait for the writer.
QUEUE_ROWS = 10_000


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class LogWriter:
    """The rows of one process waiting to be written, and the thread that writes them.
    A row is always either queued or inside a batch being written under `_write_lock`, so
    flush() (which takes that lock) returns only once every row queued before it is in."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._rows: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()  # guards _rows; wakes the writer and waiting puts
        self._write_lock = threading.Lock()  # one batch at a time: flush() and the thread
        self._thread: threading.Thread | None = None
        self._stopping = False

    def put(self, row: dict[str, Any]) -> None:
        """Queue one row (the RequestLog field values by name)."""
        if os.getpid() != self._pid:  # forked (gunicorn --preload): a queue of our own
            self._reset()
        batch = _setting("REQUEST_LOG_BATCH", 200)
        background = _setting("REQUEST_LOG_BACKGROUND", True)
        with self._cond:
            while len(self._rows) >= QUEUE_ROWS:  # a row waits for room, it is never dropped
                if not background:
                    break
                self._cond.wait()
            self._rows.append(row)
            queued = len(self._rows)
            if queued == 1 or queued >= batch:
                self._cond.notify_all()
            if background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(
                    target=self._run, name="request-log-writer", daemon=True
                )
                self._thread.start()
        if not background and queued >= batch:
            self.flush()

    def flush(self) -> int:
        """Write every row queued now, here; the number written."""
        written = 0
        with self._write_lock:
            while rows := self._take():
                written += self._write(rows)
        return written

    def pending(self) -> int:
        with self._cond:
            return len(self._rows)

    def discard(self) -> None:
        """Drop what is queued (tests: rows of a request whose transaction is gone)."""
        with self._write_lock, self._cond:
            self._rows.clear()
            self._cond.notify_all()

    def _take(self) -> list[dict[str, Any]]:
        batch = int(_setting("REQUEST_LOG_BATCH", 200))
        with self._cond:
            rows = [self._rows.popleft() for _ in range(min(batch, len(self._rows)))]
            self._cond.notify_all()  # room for waiting requests
        return rows

    def _run(self) -> None:
        """Write a batch when it is full or the interval has passed since its first row;
        stop when asked (stop(), or the setting turned off), closing this thread's
        connection."""
        try:
            while True:
                batch = int(_setting("REQUEST_LOG_BATCH", 200))
                interval = float(_setting("REQUEST_LOG_FLUSH_MS", 250)) / 1000
                with self._cond:
                    while not self._rows and not self._stopped():
                        self._cond.wait()
                    if self._stopped():
                        return
                    deadline = time.monotonic() + interval
                    while len(self._rows) < batch and not self._stopping:
                        if (left := deadline - time.monotonic()) <= 0:
                            break
                        self._cond.wait(left)
                with self._write_lock:
                    rows = self._take()
                    if rows:
                        try:
                            self._write(rows)
                        except Exception:  # noqa: BLE001 - a bad row must not stop the writer
                            logger.exception("%d request log rows not written", len(rows))
        finally:
            connections.close_all()

    def _stopped(self) -> bool:
        return self._stopping or not _setting("REQUEST_LOG_BACKGROUND", True)

    def stop(self) -> None:
        """End the writer thread, then write what is left here (tests; a worker's exit)."""
        thread = self._thread
        if thread is not None:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
            thread.join(timeout=10)
            with self._cond:
                self._thread, self._stopping = None, False
        self.flush()

    def _write(self, rows: Sequence[dict[str, Any]]) -> int:
        for attempt in (1, 2):
            try:
                insert_rows(rows)
                return len(rows)
            except DatabaseError:
                if attempt == 1 and _setting("REQUEST_LOG_BACKGROUND", True):
                    # The writer's own connection may have gone (database restarted):
                    # a fresh one, once. (Not in a request's transaction: no reconnect.)
                    connections[router.db_for_write(RequestLog)].close()
                    continue
                # The answers have gone: say so, never take the request or thread down.
                logger.exception("%d request log rows not written", len(rows))
        return 0


def insert_rows(rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT in autocommit: no ORM save machinery and no RETURNING. Values go
    through each field's own get_db_prep_save, so they are stored exactly as the ORM
    stores them (JSON, timestamps) on PostGIS and SpatiaLite alike."""
    rows = _named_owners(rows)
    connection = connections[router.db_for_write(RequestLog)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _LOG_FIELDS)
    one = "(" + ", ".join(["%s"] * len(_LOG_FIELDS)) + ")"
    table = quote(RequestLog._meta.db_table)
    # SQLite takes at most 32766 parameters a statement: 13 columns x 200 rows is far below.
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(rows))}"  # noqa: S608
    params = [
        field.get_db_prep_save(row[field.name], connection) for row in rows for field in _LOG_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _named_owners(rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Rows charged to a user without credentials of their own (a /dump/ download, counted
    for the cache's owner) carry that user's name too, so the log reads as the usage page
    counts. One query per batch, off the request path."""
    unnamed = {row["user"] for row in rows if row["user"] is not None and not row["username"]}
    if not unnamed:
        return rows
    names = dict(get_user_model().objects.filter(pk__in=unnamed).values_list("pk", "username"))
    return [
        {**row, "username": names.get(row["user"], "")} if row["user"] in unnamed else row
        for row in rows
    ]


WRITER = LogWriter()


def flush() -> int:
    """Write the rows queued in this process now; the number written."""
    return WRITER.flush()


def worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's `worker_exit` hook (a config file's `worker_exit = ...`): the worker's last
    rows are written before it goes."""
    WRITER.stop()


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # noqa: BLE001 - the process is going: say why, never raise here
        logger.exception("request log rows not written at exit")
