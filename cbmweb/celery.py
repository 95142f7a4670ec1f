"""The Celery app: configured from Django settings (CELERY_*, the beat schedule included),
tasks found in the apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")

app = Celery("cbmweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
