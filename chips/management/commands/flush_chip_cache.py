"""manage.py flush_chip_cache [--client USER[@IP]] [--older-than 6h]: empty the chip cache."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chips.store.cache import flush_cache

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(value: str) -> dt.timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", value.strip())
    if not match:
        raise CommandError(f"--older-than {value!r}: use a number and s, m, h or d (e.g. 6h)")
    return dt.timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Flush cached chips: all of them, one client's, and/or those older than an age."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client", help="USER or USER@IP: only this client's chips (default: everyone's)"
        )
        parser.add_argument(
            "--older-than", help="only chips cut longer ago than this (30m, 6h, 2d)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = ip = None
        if options["client"]:
            username, _, ip_part = options["client"].partition("@")
            ip = ip_part or None
        older = parse_age(options["older_than"]) if options["older_than"] else None
        result = flush_cache(username=username, ip=ip, older_than=older)
        self.stdout.write(f"flushed {result.records} cached chips, deleted {result.files} files")
