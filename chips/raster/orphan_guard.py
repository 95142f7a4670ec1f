"""Pool workers that leave with their parent (no Django here: the cut pool imports it).

Worker processes of a ProcessPoolExecutor hold both ends of their call queue, so when the
process that owns the pool is killed (SIGTERM to runserver, SIGKILL, OOM) they never see
the queue close and would wait forever, keeping the forkserver alive with them. Each
worker watches the owner's pid instead and exits once it is gone.
"""

from __future__ import annotations

import os
import threading
import time

CHECK_SECONDS = 2.0


def exit_with_parent(owner_pid: int) -> None:
    """Pool initializer: start a daemon thread that ends this worker when `owner_pid` dies."""

    def watch() -> None:
        while True:
            time.sleep(CHECK_SECONDS)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid now belongs to another user: ours is gone
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
