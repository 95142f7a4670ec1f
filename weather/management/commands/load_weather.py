"""manage.py load_weather FILE... [--grid era5|era5-land]: ERA5 / ERA5-Land NetCDF into the
weather store (weather.load), with a progress bar and a summary. All or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from common.console import raw_stream
from weather.era5 import GRIDS, WeatherFileError
from weather.load import load_weather


class Command(BaseCommand):
    help = (
        "Load ERA5 / ERA5-Land single-level NetCDF (hourly t2m and tp, or daily statistics) "
        "as daily tmin, tmax, tmean (degrees C) and prec (mm) per grid cell. Give consecutive "
        "files together: a day is complete only with its last hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--grid", choices=GRIDS, help="the dataset (default: from the file's metadata)"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        missing = [str(p) for p in o["files"] if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        bar = tqdm(desc="load_weather", unit="day", file=raw_stream(self.stderr), disable=None)

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            with bar:
                report = load_weather(o["files"], grid=o["grid"], progress=advance)
        except WeatherFileError as exc:
            raise CommandError(f"{exc}; nothing loaded") from exc
        rate = report.rows / report.seconds if report.seconds else 0.0
        self.stdout.write(
            f"{report.grid}: {report.days} days ({report.first}..{report.last}), "
            f"{report.cells} cells, {report.rows} rows in {report.seconds:.1f} s "
            f"({rate:.0f} rows/s)"
        )
