"""What the evidence page shows beside the markers, from the apps that hold it: the
parcel's background image (the background app's parcel panel: the caller's default
source, the parcel outlined, through its flow and the one chip store; nothing when no
source is configured) and the daily rain of the parcel's weather cell (weather.series)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.http import HttpRequest

from background.web.panel import background_panel
from chips.store.cache import dump_file
from chips.web import serializers as chip_params
from common.page_panels import ParcelWindow
from markers.web.evidence_chips import _query
from parcels.models import Parcel
from weather.series import weather_series


def background(
    request: HttpRequest, parcel: Parcel, start: dt.date, end: dt.date
) -> dict[str, Any] | None:
    """The background panel's context (src, source, or error) over the ground the parcel's
    chips show (chipsByParcelID's default side), None without a source."""
    values = chip_params.ChipsByParcelQuery.validated(_query(parcel, start, end))
    return background_panel(request, ParcelWindow(parcel, start, end, values["chipsize"]))


def rain(parcel: Parcel, start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
    """(day, mm) of the weather cell holding the parcel's centroid, [] where none is loaded."""
    answer = weather_series(parcel.centroid, start=start, end=end)
    return [(dt.date.fromisoformat(d), float(mm))
            for d, mm in zip(answer["meteo_date"], answer["prec"], strict=True)
            if mm is not None]  # fmt: skip


def stored_file(url: str | None) -> Path | None:
    """The chip store's file behind a /dump/<token>/<name> URL (the PDF embeds it)."""
    parts = (url or "").split("/")
    if len(parts) != 4 or parts[1] != "dump":
        return None
    found = dump_file(token=parts[2], file_name=parts[3])
    return found.path if found is not None else None
