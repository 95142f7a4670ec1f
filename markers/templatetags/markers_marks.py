"""{% season_marks season season_fields as marks %}: the parcel's recorded events placed
on the chipsByParcelID season plot (chips/web/season.py's axis, read from its points).
Reads what extract_markers or an earlier request recorded; computes nothing (the page
must not wait on the detector)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from django import template

from markers.models import MarkerEvent
from markers.web.evidence_plot import COLOURS
from parcels.models import Parcel

register = template.Library()


@register.simple_tag
def season_marks(season: dict[str, Any] | None, fields: Sequence[tuple[str, str]]) -> list[dict]:
    if not season or not season.get("points"):
        return []
    given = dict(fields)
    try:
        parcel = Parcel.objects.select_related("dataset").get(
            dataset__aoi=given["aoi"], dataset__year=int(given["year"]),
            dataset__ptype=given.get("ptype", ""), pid=given["pid"],
        )  # fmt: skip
    except (KeyError, ValueError, Parcel.DoesNotExist):
        return []
    points = season["points"]
    days = np.array([dt.date.fromisoformat(str(p.date)[:10]).toordinal() for p in points])
    xs = np.array([p.x for p in points], dtype=float)
    if len(days) < 2 or days[-1] == days[0]:
        return []
    scale = (xs[-1] - xs[0]) / (days[-1] - days[0])

    def x(day: dt.date) -> float:
        return round(float(xs[0] + (day.toordinal() - days[0]) * scale), 1)

    marks = []
    for e in MarkerEvent.objects.filter(parcel=parcel, year=parcel.dataset.year):
        if e.marker == "bare_soil":
            continue
        pos = x(e.date_main)
        if season["left"] <= pos <= season["right"]:
            marks.append({"x": pos, "label": e.marker, "colour": COLOURS.get(e.marker, "#555"),
                          "title": f"{e.marker} {e.date_main} ({e.date_start}..{e.date_end}), "
                                   f"confidence {e.confidence:.2f}"})  # fmt: skip
    return marks
