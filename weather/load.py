"""Load daily values (weather.era5) into the store: every file is read whole first, then
cells and days are upserted in one transaction, so a load either lands entirely or not at
all. A repeat load changes nothing; a value a file does not cover (null) never erases one
an earlier load stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction

from weather.era5 import COLUMNS, DailyGrid, read_daily
from weather.models import WeatherCell, WeatherDay

# Rows per INSERT: 6 parameters each, well under SQLite's 32766 parameters per statement.
BATCH = 1000


@dataclass(frozen=True)
class LoadReport:
    grid: str
    cells: int
    days: int
    rows: int
    first: str
    last: str
    seconds: float


def _cells(daily: DailyGrid) -> dict[tuple[float, float], int]:
    """{(lon, lat): cell id} of the grid's points, created where new."""
    half = daily.resolution / 2
    wanted = {
        (round(float(lon), 4), round(float(lat), 4)) for lon in daily.lons for lat in daily.lats
    }
    known = {
        (c.lon, c.lat): c.pk
        for c in WeatherCell.objects.filter(grid=daily.grid).only("pk", "lon", "lat")
        if (c.lon, c.lat) in wanted
    }
    new = [
        WeatherCell(
            grid=daily.grid,
            resolution=daily.resolution,
            lon=lon,
            lat=lat,
            geom=Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)),
        )
        for lon, lat in sorted(wanted - known.keys())
    ]
    WeatherCell.objects.bulk_create(new, batch_size=BATCH)
    if new:
        known = {
            (c.lon, c.lat): c.pk
            for c in WeatherCell.objects.filter(grid=daily.grid).only("pk", "lon", "lat")
            if (c.lon, c.lat) in wanted
        }
    return known


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    table = WeatherDay._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    keep = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in COLUMNS)
    sql = (
        f"INSERT INTO {table} (cell_id, meteo_date, tmin, tmax, tmean, prec) VALUES {values} "
        f"ON CONFLICT (cell_id, meteo_date) DO UPDATE SET {keep}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for row in rows for v in row])


def _value(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 3)


def load_weather(
    paths: Sequence[Path],
    *,
    grid: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoadReport:
    started = time.perf_counter()
    daily = read_daily(paths, grid=grid)  # raises before anything is written
    stack = np.stack([daily.values[c] for c in COLUMNS], axis=-1)  # (day, lat, lon, 4)
    total = len(daily.dates)
    rows_written = 0
    days_written = 0
    with transaction.atomic():
        cells = _cells(daily)
        for k, day in enumerate(daily.dates):
            batch: list[tuple[Any, ...]] = []
            for j, lat in enumerate(daily.lats):
                for i, lon in enumerate(daily.lons):
                    v = stack[k, j, i]
                    if np.isnan(v).all():  # not covered whole, or a sea point of ERA5-Land
                        continue
                    cell = cells[(round(float(lon), 4), round(float(lat), 4))]
                    batch.append((cell, day, *(_value(x) for x in v)))
                    if len(batch) >= BATCH:
                        _upsert(batch)
                        rows_written += len(batch)
                        batch = []
            if batch:
                _upsert(batch)
                rows_written += len(batch)
            days_written += 1
            if progress:
                progress(k + 1, total)
    return LoadReport(
        grid=daily.grid,
        cells=len(cells),
        days=days_written,
        rows=rows_written,
        first=str(daily.dates[0]) if daily.dates else "",
        last=str(daily.dates[-1]) if daily.dates else "",
        seconds=time.perf_counter() - started,
    )
