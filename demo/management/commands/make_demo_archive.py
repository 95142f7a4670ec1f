"""manage.py make_demo_archive OUT: write the synthetic Sentinel-2 demo archive."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.generator.archive import build_archive


@dataclass(frozen=True)
class Extent:
    size: int  # 10 m pixels
    start: date
    end: date


FULL = Extent(size=512, start=date(2024, 4, 1), end=date(2024, 9, 30))
# --small: what the test suite builds once per run (about half a minute on one core).
SMALL = Extent(size=480, start=date(2024, 6, 1), end=date(2024, 6, 28))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-mm-dd date: {value!r}") from exc


class Command(BaseCommand):
    # Pure file generation: no database, so it need not wait on the project's system checks.
    requires_system_checks: list[str] = []
    help = (
        "Write a synthetic Sentinel-2 archive (SAFE and/or COG layout), Sentinel-1 over the "
        "same fields (STAC COGs and JRC CARD folders) and the parcels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)
        parser.add_argument("--layout", choices=("safe", "cog", "both"), default="both")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--size", type=int, default=None, help="10 m pixels (default 512)")
        parser.add_argument("--start", type=_date, default=None)
        parser.add_argument("--end", type=_date, default=None)
        parser.add_argument("--small", action="store_true", help="480 px, June 1-28 2024")
        parser.add_argument(
            "--field-scale",
            type=float,
            default=1.0,
            help="field side factor (default 1: ~12 ha blocks; 0.3: ~1 ha parcels)",
        )
        parser.add_argument(
            "--parcels-in",
            choices=("every", "any"),
            default="every",
            help="keep the fields inside every tile's data area (default) or inside any",
        )
        parser.add_argument(
            "--no-s1", action="store_true", help="leave Sentinel-1 out (S2 benchmarks)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        # The types add_arguments gives them; None where not given.
        out: Path = opts["out"]
        layout: str = opts["layout"]
        size: int | None = opts["size"]
        start: date | None = opts["start"]
        end: date | None = opts["end"]
        base = SMALL if opts["small"] else FULL
        extent = Extent(
            size=base.size if size is None else size,
            start=base.start if start is None else start,
            end=base.end if end is None else end,
        )
        if not 60 <= extent.size <= 10980:
            raise CommandError("--size must be 60..10980 pixels")
        if extent.end < extent.start:
            raise CommandError("--end is before --start")
        field_scale = float(opts["field_scale"])
        # Below 0.1 a field (28 m wide) is mostly its 8 m ditches.
        if not 0.1 <= field_scale <= 4:
            raise CommandError("--field-scale must be 0.1..4")
        layouts = ("safe", "cog") if layout == "both" else (layout,)
        began = time.monotonic()
        manifest = build_archive(
            out,
            layouts=layouts,
            seed=int(opts["seed"]),
            size=extent.size,
            start=extent.start,
            end=extent.end,
            field_scale=field_scale,
            parcels_in=opts["parcels_in"],
            log=lambda line: self.stdout.write(line),
            s1=not opts["no_s1"],
        )
        self.stdout.write(
            f"demo archive {manifest['aoi']} {manifest['tiles']} written to {opts['out']} "
            f"in {time.monotonic() - began:.0f} s"
        )
