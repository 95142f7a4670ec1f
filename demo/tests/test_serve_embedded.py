"""serve_embedded's server: requests are handled by a fixed pool of threads (so that each
keeps its database connection), concurrently, every one answered."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.servers.basehttp import WSGIRequestHandler

from demo.management.commands.serve_embedded import SERVE_THREADS, PooledWSGIServer


def thread_name_app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    start("200 OK", [("Content-Type", "text/plain")])
    return [threading.current_thread().name.encode()]


def test_requests_are_served_by_the_pool() -> None:
    server = PooledWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(thread_name_app)
    loop = threading.Thread(target=server.serve_forever, daemon=True)
    loop.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with ThreadPoolExecutor(max_workers=12) as clients:  # more at once than the pool
            names = list(clients.map(lambda _: urllib.request.urlopen(url).read(), range(60)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(names) == 60
    assert {n.split(b"_")[0] for n in names} == {b"serve"}  # never a thread of its own
    assert len(set(names)) <= SERVE_THREADS
