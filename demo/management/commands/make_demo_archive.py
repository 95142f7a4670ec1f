"""manage.py make_demo_archive OUT: write the synthetic Sentinel-2 demo archive."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.generator.archive import build_archive

# --small: what the test suite builds once per run (about half a minute on one core).
SMALL = {"size": 480, "start": date(2024, 6, 1), "end": date(2024, 6, 28)}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-mm-dd date: {value!r}") from exc


class Command(BaseCommand):
    # Pure file generation: no database, so it need not wait on the project's system checks.
    requires_system_checks: list[str] = []
    help = "Write a synthetic Sentinel-2 archive (SAFE and/or COG layout) and its parcels."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)
        parser.add_argument("--layout", choices=("safe", "cog", "both"), default="both")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--size", type=int, default=None, help="10 m pixels (default 512)")
        parser.add_argument("--start", type=_date, default=None)
        parser.add_argument("--end", type=_date, default=None)
        parser.add_argument("--small", action="store_true", help="480 px, June 1-28 2024")

    def handle(self, *args: object, **opts: object) -> None:
        base = (
            dict(SMALL)
            if opts["small"]
            else {"size": 512, "start": date(2024, 4, 1), "end": date(2024, 9, 30)}
        )
        for key in ("size", "start", "end"):
            if opts[key] is not None:
                base[key] = opts[key]
        if not 60 <= int(base["size"]) <= 10980:  # type: ignore[call-overload]
            raise CommandError("--size must be 60..10980 pixels")
        if base["end"] < base["start"]:  # type: ignore[operator]
            raise CommandError("--end is before --start")
        layouts = ("safe", "cog") if opts["layout"] == "both" else (opts["layout"],)
        began = time.monotonic()
        manifest = build_archive(
            opts["out"],  # type: ignore[arg-type]
            layouts=layouts,  # type: ignore[arg-type]
            seed=int(opts["seed"]),  # type: ignore[call-overload]
            size=int(base["size"]),  # type: ignore[call-overload]
            start=base["start"],  # type: ignore[arg-type]
            end=base["end"],  # type: ignore[arg-type]
            log=lambda line: self.stdout.write(line),
        )
        self.stdout.write(
            f"demo archive {manifest['aoi']} {manifest['tiles']} written to {opts['out']} "
            f"in {time.monotonic() - began:.0f} s"
        )
