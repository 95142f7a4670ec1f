"""A parcel's daily weather: the cell containing its centroid (the finest grid where several
are loaded), its days in a window, as columns or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Q

from weather.models import Grid, WeatherCell, WeatherDay

COLUMNS = ("meteo_date", "tmin", "tmax", "tmean", "prec")


# The CDS grids' points are multiples of their step: the cell of a point is found by
# rounding, one probe of the (grid, lon, lat) index each, finest grid first.
NATIVE_GRIDS = ((Grid.ERA5_LAND, 0.1), (Grid.ERA5, 0.25))


def _on_grid(value: float, step: float) -> float:
    return round(round(value / step) * step, 4)


def cell_at(point: Point) -> WeatherCell | None:
    """The cell of the finest loaded grid that contains the point. Native grids by
    rounding; a grid of another step (a regridded request) by its cell polygons (a point on
    the edge of two cells takes the one to the south-west)."""
    probes = Q()
    for grid, step in NATIVE_GRIDS:
        on_grid = {"lon": _on_grid(point.x, step), "lat": _on_grid(point.y, step)}
        probes |= Q(grid=grid, resolution=step, **on_grid)
    # Never the polygon: decoding it is most of a probe's time.
    cells = WeatherCell.objects.defer("geom").order_by("resolution", "lon", "lat")
    return cells.filter(probes).first() or cells.filter(geom__intersects=point).first()


def weather_series(
    point: Point, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, list[Any]]:
    answer: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    cell = cell_at(point)
    if cell is None:
        return answer
    days = WeatherDay.objects.filter(cell=cell)
    if start is not None:
        days = days.filter(meteo_date__gte=start)
    if end is not None:
        days = days.filter(meteo_date__lte=end)
    for row in days.order_by("meteo_date").values_list(*COLUMNS):
        answer["meteo_date"].append(row[0].isoformat())
        for name, value in zip(COLUMNS[1:], row[1:], strict=True):
            answer[name].append(value)
    return answer


def as_csv(answer: dict[str, list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(zip(*(answer[c] for c in COLUMNS), strict=True))
    return out.getvalue()


def csv_name(*, aoi: str, year: int, ptype: str, pid: str) -> str:
    """timeseries_<aoi><year>[_<ptype>]_<pid>_WeatherTS.csv"""
    suffix = f"_{ptype}" if ptype else ""
    return f"timeseries_{aoi}{year}{suffix}_{pid}_WeatherTS.csv"
