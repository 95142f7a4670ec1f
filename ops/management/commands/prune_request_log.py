"""manage.py prune_request_log [--days N]: delete request log rows older than the retention."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.retention import request_log_prune, retention_days


class Command(BaseCommand):
    help = "Delete request log rows older than REQUEST_LOG_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="override the setting")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else retention_days()
        try:
            deleted = request_log_prune(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"deleted {deleted} request log rows older than {days} days")
