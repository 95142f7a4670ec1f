"""How a job's work gets to the cutters: queued on the broker as one task per scene, or,
with no broker (the demo, most tests), run in this process, now or beside the request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from django.db import close_old_connections, connection, transaction

from chips import liveness, tasks
from chips.composite import make as composite_make
from chips.cutting import SceneWork, run_in_process, run_in_thread
from chips.models import ChipJob

log = logging.getLogger(__name__)


def in_process() -> bool:
    """No broker configured: tasks run here (Celery's eager mode)."""
    return bool(tasks.cut_scene_chips.app.conf.task_always_eager)


def job_owner() -> str:
    """Who will run a new job's work: this process (no broker) or the broker's workers."""
    return liveness.process_owner() if in_process() else liveness.BROKER_OWNER


def run_job(job: ChipJob, work: Sequence[SceneWork], *, refresh: bool, background: bool) -> None:
    """Start a new job's scenes: queued on the broker once the job row is committed (a
    worker must find it), or run in-process, now or (`background`) in a thread."""
    if not in_process():
        messages = [w.message() for w in work]

        def send() -> None:
            for scene_id, specs in messages:
                tasks.cut_scene_chips.apply_async(args=(str(job.pk), scene_id, specs, refresh))

        transaction.on_commit(send)
        return
    if background:

        def beating_thread() -> None:
            with liveness.beating(job.pk):
                run_in_thread(job, work, refresh)

        threading.Thread(target=beating_thread, name=f"chips-{job.pk}", daemon=True).start()
        return
    with liveness.beating(job.pk):
        run_in_process(job, work, refresh=refresh)


def run_composite_job(job: ChipJob, messages: Sequence[dict[str, Any]]) -> None:
    """Queue a composite job's scenes, or (no broker) make them in a thread beside the
    request, which answers at once: the page shows them as they come."""
    if not in_process():

        def send() -> None:
            for message in messages:
                tasks.make_composite.apply_async(args=(str(job.pk), message))

        transaction.on_commit(send)
        return

    def run() -> None:
        close_old_connections()
        try:
            # Every scene at once on the cut pool's processes, reported as they come; the
            # heartbeat tells later requests that this process still owns the job.
            with liveness.beating(job.pk):
                composite_make.make_composites(job, messages)
        except Exception as exc:  # the page must learn that it stopped, whatever the cause
            log.exception("job %s failed", job.pk)
            ChipJob.objects.filter(pk=job.pk).update(status="failed", errors={"": str(exc)})
        finally:
            connection.close()

    threading.Thread(target=run, name=f"composite-{job.pk}", daemon=True).start()
