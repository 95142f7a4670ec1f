"""gunicorn settings of `make serve` and deploy/cbmweb-web.service, read from the environment.

WEB_CONCURRENCY (or GUNICORN_WORKERS): worker processes, default one per core plus one.
GUNICORN_BIND: where to listen, default 127.0.0.1:$PORT (8000): nginx in front (deploy/).
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


wsgi_app = "cbmweb.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = _int("WEB_CONCURRENCY", _int("GUNICORN_WORKERS", (os.cpu_count() or 1) + 1))
# Sync workers: a chip request blocks its worker while it waits for its job (at most
# CHIP_REQUEST_WAIT_SECONDS, then 202): the timeout must be longer than that wait.
timeout = _int("GUNICORN_TIMEOUT", _int("CHIP_REQUEST_WAIT_SECONDS", 60) + 30)
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter): bounds any slow leak.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = 200
# A GET parcelsByPolygon with the most corners the API takes (parcels.polygons
# MAX_VERTICES, 10 000) must fit: gunicorn's default 4094-byte request line gives 414 at
# about 300 corners, and 10 000 corners of `lon_lat-` take up to ~250 KB, past gunicorn's
# 8190-byte ceiling. 0 lifts the ceiling; gunicorn still stops a request line at 1 MB
# (deploy/nginx.conf sizes its header buffers to match). Tested over a socket:
# cbmweb/tests/test_serve.py.
limit_request_line = 0
accesslog = "-"
errorlog = "-"
# The client's address as the proxy saw it (X-Forwarded-For) is read by the app itself,
# from TRUSTED_PROXIES only; gunicorn trusts forwarded headers from loopback alone.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def worker_exit(server: object, worker: object) -> None:
    """A stopping worker writes the request-log rows it still holds (ops.log_writer).
    Imported here, in the worker: the master never loads Django."""
    from ops import log_writer

    log_writer.worker_exit(server, worker)
