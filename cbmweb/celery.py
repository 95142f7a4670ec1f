"""The Celery app: configured from Django settings (CELERY_*), tasks found in the apps."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")

app = Celery("cbmweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    """Beat's schedule, added once settings are loaded. CELERY_TIMEZONE is Europe/Brussels,
    so the crontab fires at local midnight across daylight-saving changes."""
    from django.conf import settings

    sender.add_periodic_task(
        crontab(
            hour=settings.CHIP_CACHE_FLUSH_HOUR,
            minute=settings.CHIP_CACHE_FLUSH_MINUTE,
            app=sender,
        ),
        sender.signature("chips.flush_chip_cache"),
        name="flush-chip-cache-nightly",
    )
