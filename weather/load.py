"""Load daily values (weather.era5) into the store: every file is read whole first, then
cells and days are upserted in one transaction, so a load either lands entirely or not at
all. A repeat load changes nothing; a value a file does not cover (null) never erases one
an earlier load stored."""

from __future__ import annotations

import datetime as dt
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


_COLUMNS = "cell_id, meteo_date, tmin, tmax, tmean, prec"


def _keep_known(table: str) -> str:
    """ON CONFLICT: a null (not covered by these files) never erases a stored value."""
    keep = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in COLUMNS)
    return f"ON CONFLICT (cell_id, meteo_date) DO UPDATE SET {keep}"


def _upsert_sql(rows: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERT .. ON CONFLICT (SQLite/SpatiaLite)."""
    table = WeatherDay._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = f"INSERT INTO {table} ({_COLUMNS}) VALUES {values} {_keep_known(table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for row in rows for v in row])


def _upsert_copy(rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: binary COPY into a temporary table, then one INSERT .. SELECT .. ON
    CONFLICT (binding thousands of parameters per statement costs more than the write)."""
    table = WeatherDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS weather_load (cell_id int8, meteo_date date, "
            "tmin float8, tmax float8, tmean float8, prec float8) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(
            f"COPY weather_load ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "date", "float8", "float8", "float8", "float8"])
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM weather_load "  # noqa: S608
            f"{_keep_known(table)}"
        )
        cursor.execute("TRUNCATE weather_load")


def _day_rows(day: dt.date, values: np.ndarray, cell_ids: np.ndarray) -> list[tuple[Any, ...]]:
    """The rows of one day: (cell, day, tmin, tmax, tmean, prec), cells with any value."""
    flat = values.reshape(-1, len(COLUMNS))
    keep = ~np.isnan(flat).all(axis=1)  # not covered whole, or a sea point of ERA5-Land
    rounded = np.round(flat[keep], 3).astype(object)
    rounded[np.isnan(flat[keep])] = None
    return [
        (cell, day, *vals)
        for cell, vals in zip(cell_ids[keep].tolist(), rounded.tolist(), strict=True)
    ]


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
    upsert = _upsert_copy if connection.vendor == "postgresql" else _upsert_sql
    with transaction.atomic():
        cells = _cells(daily)
        # The cell id of each (lat, lon) of the grid, in the order of a day's values.
        cell_ids = np.array(
            [cells[(round(float(lon), 4), round(float(lat), 4))]
             for lat in daily.lats for lon in daily.lons],
            dtype=np.int64,
        )  # fmt: skip
        pending: list[tuple[Any, ...]] = []
        for k, day in enumerate(daily.dates):
            pending.extend(_day_rows(day, stack[k], cell_ids))
            # SQLite: a statement's parameters are bounded; COPY: any size, fewer is faster.
            if len(pending) >= (BATCH * 50 if upsert is _upsert_copy else BATCH):
                upsert(pending)
                rows_written += len(pending)
                pending = []
            days_written += 1
            if progress:
                progress(k + 1, total)
        if pending:
            upsert(pending)
            rows_written += len(pending)
    return LoadReport(
        grid=daily.grid,
        cells=len(cells),
        days=days_written,
        rows=rows_written,
        first=str(daily.dates[0]) if daily.dates else "",
        last=str(daily.dates[-1]) if daily.dates else "",
        seconds=time.perf_counter() - started,
    )
