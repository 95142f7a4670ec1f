"""Real server processes for the fault and serving tests: `manage.py runserver` (or gunicorn)
on a loopback port, on the test's own database, its output in a log file.

Ports come from CBMWEB_TEST_PORTS (default 8120-8129), the range this machine gives the
suite; a port in use is skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PORTS = os.environ.get("CBMWEB_TEST_PORTS", "8120-8129")


def free_port() -> int:
    """A loopback port of the suite's range that nothing listens on."""
    first, _, last = PORTS.partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def current_database_url() -> str:
    """DATABASE_URL of the database the test runs on (PostGIS or SpatiaLite)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("spatialite"):
        return f"spatialite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgis://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL to the server and everything it started (its cut pool too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a server on the test's database, no broker, demo settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST_"))}
    env.update(DATABASE_URL=current_database_url(), CBMWEB_DEMO="1", LOG_LEVEL="INFO")
    env.update(extra)
    return env


@contextlib.contextmanager
def running(
    env: Mapping[str, str],
    log: Path,
    *,
    port: int | None = None,
    command: Sequence[str] | None = None,
    ready_path: str = "/api/schema/",
) -> Iterator[Server]:
    """A server process (runserver --noreload by default) until the block ends."""
    port = port or free_port()
    args = list(command or [sys.executable, "manage.py", "runserver", "--noreload"])
    if command is None:
        args.append(f"127.0.0.1:{port}")
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            args, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(process, port, log)
    try:
        wait_ready(server, ready_path)
        yield server
    finally:
        server.stop()


def wait_ready(server: Server, path: str, timeout: float = 60) -> None:
    """Until the server answers anything on `path` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.output()[-3000:]}")
        try:
            urllib.request.urlopen(server.url(path), timeout=2).close()  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return  # it answers (401 and the like are answers)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start in {timeout} s:\n{server.output()[-3000:]}")
