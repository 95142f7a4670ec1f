"""How much the request log adds to a request: the same cheap endpoint with and without it.

Two figures per variant: the time until the answer is ready to send (what the client
waits for) and the time including response.close(), when the log row is written (what the
worker spends). The figures are printed for docs/benchmarks.md, never asserted: these
machines are shared and a timing bound would fail on load, not on code.
"""

from __future__ import annotations

import time

import pytest
from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory

from ops.models import RequestLog
from ops.tests.support import MIDDLEWARE

REQUESTS = 2000
BLOCK = 200


def handler_with(settings, middleware: list[str]) -> BaseHandler:
    settings.MIDDLEWARE = middleware
    handler = BaseHandler()
    handler.load_middleware()
    return handler


@pytest.mark.slow
@pytest.mark.django_db
def test_every_request_logged_and_overhead_measured(ops_site, settings):
    settings.QUOTA_IP_REQUESTS_PER_MINUTE = 10**9  # the counter runs, never refuses
    with_log = list(settings.MIDDLEWARE)
    handlers = {
        "with": handler_with(settings, with_log),
        "without": handler_with(settings, [m for m in with_log if m != MIDDLEWARE]),
    }
    # Like the test client: close() must not close the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        ready, closed = run(handlers)
    finally:
        request_finished.connect(close_old_connections)
    assert RequestLog.objects.count() == REQUESTS

    def ms(seconds: float) -> float:
        return seconds / REQUESTS * 1000

    latency = ms(ready["with"]) - ms(ready["without"])
    print(
        f"\n{REQUESTS} requests each, ms/request: answer ready without log "
        f"{ms(ready['without']):.3f}, with log {ms(ready['with']):.3f} (+{latency:.3f}); "
        f"including the row written on close: without {ms(closed['without']):.3f}, "
        f"with {ms(closed['with']):.3f}"
    )


def run(handlers: dict[str, BaseHandler]) -> tuple[dict[str, float], dict[str, float]]:
    factory = RequestFactory()
    ready = {"with": 0.0, "without": 0.0}
    closed = {"with": 0.0, "without": 0.0}
    # Alternating blocks, so both see the same machine load.
    for block in range(2 * REQUESTS // BLOCK):
        kind = "with" if block % 2 else "without"
        for _ in range(BLOCK):
            request = factory.get("/query/ping?lon=5&lat=52")
            started = time.perf_counter()
            response = handlers[kind].get_response(request)
            answered = time.perf_counter()
            response.close()  # writes the row
            ready[kind] += answered - started
            closed[kind] += time.perf_counter() - started
            assert response.status_code == 200
    return ready, closed
