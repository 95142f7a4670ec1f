"""What the parcel page (chipsByParcelID) shows as the inspector's hub, beside its season
plot and chips: the declaration, the recorded light with its reason, the recorded events,
the decisions, and the links a person or a script follows from there (the evidence page,
the map, the review list, CSV and GeoTIFF downloads). Reads what is recorded; computes
nothing (the page must not wait on the detector)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from inspection import selectors
from inspection.review import DEFAULT_LIGHTS
from markers.models import MarkerEvent, TrafficLight
from parcels.models import Parcel


def parcel_hub(
    parcel: Parcel, *, start: str | None = None, end: str | None = None
) -> dict[str, Any]:
    dataset = parcel.dataset
    year = dataset.year
    params = selectors.dataset_params(dataset)
    one = {**params, "pid": parcel.pid}
    season_start, season_end = selectors.season(year)
    window = {"start_date": start or season_start, "end_date": end or season_end}
    light = TrafficLight.objects.filter(parcel=parcel, year=year).first()
    decisions = selectors.decisions(parcel, year)
    latest = decisions[0] if decisions else None

    def url(name: str, **extra: Any) -> str:
        return f"{reverse(name)}?{urlencode({**one, **extra})}"

    return {
        "parcel": parcel,
        "dataset": dataset,
        "hectares": parcel.area / 10_000,
        "light": light,
        "events": list(MarkerEvent.objects.filter(parcel=parcel, year=year).order_by("date_main")),
        "decisions": decisions,
        "latest": latest,
        "light_changed": bool(latest and light and latest.light != light.light),
        "links": {
            "evidence": url("parcel-evidence"),
            "map": f"{reverse('inspection-map')}?{urlencode(one)}",
            "review": f"{reverse('inspection-review')}?{urlencode(one)}",
            "timeseries_csv": url("parcel-time-series", tsformat="csv", **window),
            "scl_csv": url("parcel-time-series", tstype="scl", tsformat="csv", **window),
            "markers_csv": url("markers", tsformat="csv"),
            "light_json": url("traffic-lights"),
            "parcel_json": url("parcel-by-id", withGeometry="True", wgs84="True"),
            "raw_list": url("raw-chip-by-parcel-id", band="B04", onlylist="True", **window),
        },
        "reviewable": light is not None and light.light in DEFAULT_LIGHTS,
    }
