"""`manage.py serve_embedded [addrport] [--insecure] ...`: runserver (staticfiles' own, with
--insecure serving /static/) on a fixed pool of threads that keep their database
connection, for the embedded default (`make demo` on SpatiaLite).

runserver starts a thread per request, and each thread opens its own connection: on
SpatiaLite that loads mod_spatialite, 5-7 ms of every request that touches the database
(bench/embedded.py, docs/benchmarks-embedded.md). Here SERVE_THREADS threads take the
requests in turn and keep their connection (CONN_MAX_AGE below): a bounded number of
connections, opened once each.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunServer
from django.core.servers.basehttp import WSGIServer

# Requests served at once: the page's polls, its images and a chip request waiting for its
# job fit; more wait in the listen queue.
SERVE_THREADS = 8
# Seconds a pool thread keeps its connection between requests.
CONN_MAX_AGE = 600


class PooledWSGIServer(WSGIServer):
    """Django's WSGIServer, each request handled by a thread of a fixed pool."""

    pool = ThreadPoolExecutor(max_workers=SERVE_THREADS, thread_name_prefix="serve")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - socketserver's own contract: report, go on
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class Command(RunServer):
    help = (__doc__ or "").split("\n")[0]
    server_cls = PooledWSGIServer

    def handle(self, *args: Any, **options: Any) -> None:
        # The pool does the threading: basehttp.run must not add a thread per request.
        options["use_threading"] = False
        for alias in settings.DATABASES:
            settings.DATABASES[alias]["CONN_MAX_AGE"] = CONN_MAX_AGE
        super().handle(*args, **options)
