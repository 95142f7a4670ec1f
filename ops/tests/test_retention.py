"""Pruning the request log: the command and the Celery task delete only old rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ops.models import RequestLog
from ops.tasks import prune_request_log

pytestmark = pytest.mark.django_db


def rows_aged(*days: float) -> None:
    now = timezone.now()
    for age in days:
        RequestLog.objects.create(
            time=now - timedelta(days=age),
            method="GET",
            endpoint="info",
            status=200,
            duration_ms=1.0,
        )


def ages() -> list[int]:
    now = timezone.now()
    return sorted(
        round((now - t).total_seconds() / 86400)
        for t in RequestLog.objects.values_list("time", flat=True)
    )


def test_command_prunes_past_the_setting(settings, capsys):
    settings.REQUEST_LOG_RETENTION_DAYS = 30
    rows_aged(0, 29.9, 30.1, 400)
    call_command("prune_request_log")
    assert ages() == [0, 30]
    assert "deleted 2 request log rows older than 30 days" in capsys.readouterr().out


def test_command_days_option():
    rows_aged(0, 2, 5)
    call_command("prune_request_log", days=1)
    assert ages() == [0]
    with pytest.raises(CommandError):
        call_command("prune_request_log", days=0)


def test_task(settings):
    settings.REQUEST_LOG_RETENTION_DAYS = 3
    rows_aged(1, 4)
    assert prune_request_log.delay().get() == 1
    assert ages() == [1]
