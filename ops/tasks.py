"""Celery tasks of the ops app; prune_request_log runs nightly from CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from ops.retention import request_log_prune


@shared_task(name="ops.tasks.prune_request_log")
def prune_request_log() -> int:
    return request_log_prune()
