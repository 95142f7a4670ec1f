"""`make serve` as the tests run it: gunicorn with deploy/gunicorn.conf.py on a loopback
port, static files collected into the server's own CBMWEB_VAR_DIR first."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from testing import servers

GUNICORN = Path(sys.executable).parent / "gunicorn"


@contextlib.contextmanager
def serving(var_dir: Path, log: Path, **env: str) -> Iterator[servers.Server]:
    port = servers.free_port()
    environment = servers.server_env(
        CBMWEB_VAR_DIR=str(var_dir), PORT=str(port), WEB_CONCURRENCY="2", **env
    )
    subprocess.run(  # noqa: S603 - our interpreter and manage.py
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=servers.ROOT, env=environment, check=True, capture_output=True,
    )  # fmt: skip
    command = [str(GUNICORN), "-c", "deploy/gunicorn.conf.py"]
    with servers.running(environment, log, port=port, command=command) as server:
        yield server
