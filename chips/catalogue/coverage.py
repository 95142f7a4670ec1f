"""What the archive holds over an area: per processing level, the first and last sensing
date, the acquisitions and products, and their tiles. What /query/info says of each parcel
dataset, and what an empty chip window points to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import Count, Max, Min

from chips.catalogue.models import Scene


def imagery_coverage(extent: Sequence[float]) -> dict[str, dict[str, Any]]:
    """{level: {"first", "last" (sensing dates, UTC), "acquisitions" (datatakes: products of
    one sensing time count once), "products", "tiles"}} of the scenes whose footprint meets
    the box [west, south, east, north] (lon/lat). Two queries on the footprint index (the
    tiles apart: an array aggregate is PostgreSQL's only, the demo runs on SpatiaLite)."""
    west, south, east, north = extent
    box = Polygon.from_bbox((west, south, east, north))
    box.srid = 4326
    scenes = Scene.objects.filter(footprint__intersects=box)
    tiles: dict[str, list[str]] = {}
    for level, tile in scenes.values_list("level", "tile").distinct().order_by("level", "tile"):
        tiles.setdefault(level, []).append(tile)
    rows = (
        scenes.values("level")
        .annotate(
            first=Min("sensing_time"),
            last=Max("sensing_time"),
            acquisitions=Count("sensing_time", distinct=True),
            products=Count("id"),
        )
        .order_by("level")
    )
    return {
        row["level"]: {
            "first": _day(row["first"]),
            "last": _day(row["last"]),
            "acquisitions": row["acquisitions"],
            "products": row["products"],
            "tiles": tiles.get(row["level"], []),
        }
        for row in rows
    }


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()
