"""Real servers on loopback for the background tests: TiTiler (XYZ, WMTS) under uvicorn,
MapServer's WMS (Debian's mapserv, run as CGI per request), and two broken services (one
that never answers, one that answers 500)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from testing.servers import ROOT, free_port

MAPSERV = shutil.which("mapserv") or "/usr/lib/cgi-bin/mapserv"


def _wait_http(url: str, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def titiler(log: Path) -> Iterator[str]:
    """http://127.0.0.1:<port>: TiTiler's COG endpoints."""
    pytest.importorskip("titiler.core", reason="TiTiler (titiler.core) is not installed")
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "background.tests.titiler_app:app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_http(f"http://127.0.0.1:{port}/docs")
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


class _Threaded:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def mapserver_wms(mapfile: Path) -> _Threaded:
    """A WMS: each request runs Debian's mapserv as CGI on the mapfile."""
    if not os.access(MAPSERV, os.X_OK):
        pytest.skip("MapServer (Debian cgi-mapserver) is not installed")
    # MapServer 8 reads a config file first; this one lets MS_MAPFILE name the mapfile.
    config = mapfile.with_suffix(".conf")
    config.write_text('CONFIG\n  ENV\n    MS_MAP_PATTERN "."\n  END\nEND\n')

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            env = {"QUERY_STRING": urlsplit(self.path).query, "REQUEST_METHOD": "GET",
                   "MS_MAPFILE": str(mapfile), "MAPSERVER_CONFIG_FILE": str(config),
                   "PATH": os.environ.get("PATH", "")}  # fmt: skip
            out = subprocess.run([MAPSERV], env=env, capture_output=True, timeout=30).stdout
            head, _, body = out.partition(b"\r\n\r\n")
            self.send_response(200)
            for line in head.split(b"\r\n"):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-type":
                    self.send_header("Content-Type", value.strip())
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return _Threaded(Handler)


def failing_service(status: int = 500) -> _Threaded:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(status)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"oops\n")

        def log_message(self, *args: object) -> None:
            pass

    return _Threaded(Handler)


@contextlib.contextmanager
def hanging_service() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


MAPFILE = """MAP
  NAME "ortho"
  EXTENT {minx} {miny} {maxx} {maxy}
  SIZE 256 256
  PROJECTION "init=epsg:3857" END
  WEB
    METADATA
      "wms_title" "ortho"
      "wms_srs" "EPSG:3857"
      "wms_enable_request" "*"
      "wms_onlineresource" "http://127.0.0.1/"
    END
  END
  OUTPUTFORMAT
    NAME "png"
    DRIVER "AGG/PNG"
    MIMETYPE "image/png"
    IMAGEMODE RGB
    EXTENSION "png"
  END
  LAYER
    NAME "ortho"
    TYPE RASTER
    STATUS ON
    DATA "{path}"
    PROJECTION "init=epsg:3857" END
    METADATA "wms_title" "ortho" END
  END
END
"""
