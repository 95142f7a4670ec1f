"""GET /query/markers and /query/trafficLights: validate (markers.web.serializers), the
parcel or dataset after the AOI check (parcels.selectors), the recorded results (computed
now for one parcel whose results are missing or stale: markers.services), JSON columns or
CSV."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common import tables
from common.schema import error_responses
from markers import services
from markers.models import MarkerEvent, TrafficLight
from markers.web import serializers as s
from parcels.selectors import dataset_get, parcel_get

MARKER_COLUMNS = ("foi_id", "marker", "marker_type", "date_start", "date_main", "date_end",
                  "duration_days", "value_1", "value_2", "value_3", "pid", "practice",
                  "confidence", "observations", "signal", "detector")  # fmt: skip
LIGHT_COLUMNS = ("pid", "cropname", "practice", "light", "reason", "observability",
                 "clear_observations", "events", "detector", "rules")  # fmt: skip


def marker_row(e: MarkerEvent, pid: str, practice: str) -> tuple[Any, ...]:
    dates = (e.date_start.isoformat(), e.date_main.isoformat(), e.date_end.isoformat())
    return (pid, e.marker, e.marker_type, *dates, (e.date_end - e.date_start).days,
            e.value_1, e.value_2, e.value_3, pid, practice, e.confidence, e.observations,
            e.signal, e.detector)  # fmt: skip


def light_row(t: TrafficLight, pid: str, cropname: str) -> tuple[Any, ...]:
    return (pid, cropname, t.practice, t.light, f"{t.reason_code}: {t.reason}", t.observability,
            t.clear_observations, t.events, t.detector, t.rules)  # fmt: skip


def answer(
    names: tuple[str, ...], rows: list[tuple[Any, ...]], tsformat: str, filename: str
) -> Response | HttpResponse:
    """The rows as columns (common.tables: JSON, or CSV with tsformat=csv)."""
    return tables.answer({n: [r[i] for r in rows] for i, n in enumerate(names)}, tsformat,
                         filename)  # fmt: skip


@extend_schema(
    description="One parcel's detected events (mowing, harvest, ploughing, bare_soil, "
    "emergence) in its dataset's season, by date_main: the JRC's columns first, then "
    "confidence, observations, signal and detector. Computed from the signature store when "
    "missing or made by another detector or rules version. tsformat=csv: the same table as "
    "a CSV attachment.",
    parameters=[s.MarkersQuery],
    responses={
        200: OpenApiResponse(s.MarkerColumns, description="the columns (or the CSV)"),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class Markers(APIView):
    def get(self, request: Request) -> Response | HttpResponse:
        q = s.MarkersQuery.validated(request.query_params)
        parcel = parcel_get(user=request.user, key=q["dataset"], pid=q["pid"])
        events, light, _ = services.parcel_markers(parcel)
        rows = [
            marker_row(e, parcel.pid, light.practice)
            for e in events
            if (not q["marker"] or e.marker in q["marker"])
            and (q["start"] is None or e.date_main >= q["start"])
            and (q["end"] is None or e.date_main <= q["end"])
        ]
        name = f"markers_{q['dataset'].stem}_{parcel.pid}.csv"
        return answer(MARKER_COLUMNS, rows, q["tsformat"], name)


@extend_schema(
    description="A dataset's traffic lights, one row per parcel (as extract_markers "
    "recorded them; with pid, that parcel's, computed now when missing or stale): green "
    "(rules met), red (a rule broken, with the observations to show it), yellow (not "
    "observable enough, or no rule: the reason says which). Filter by light (e.g. "
    "red,yellow), practice, pid. tsformat=csv: a CSV attachment.",
    parameters=[s.TrafficLightsQuery],
    responses={
        200: OpenApiResponse(s.TrafficLightColumns, description="the columns (or the CSV)"),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class TrafficLights(APIView):
    def get(self, request: Request) -> Response | HttpResponse:
        q = s.TrafficLightsQuery.validated(request.query_params)
        key = q["dataset"]
        if q["pid"] is not None:
            parcel = parcel_get(user=request.user, key=key, pid=q["pid"])
            _, light, _ = services.parcel_markers(parcel)
            lights = [(light, parcel.pid, parcel.crop_name)]
        else:
            dataset = dataset_get(user=request.user, key=key)
            rows = TrafficLight.objects.filter(parcel__dataset=dataset, year=dataset.year)
            rows = rows.select_related("parcel").order_by("parcel__pid")
            lights = [(t, t.parcel.pid, t.parcel.crop_name) for t in rows]
        picked = [
            light_row(t, pid, crop)
            for t, pid, crop in lights
            if (not q["light"] or t.light in q["light"])
            and (q["practice"] is None or t.practice == q["practice"])
        ]
        name = f"trafficlights_{key.stem}.csv"
        return answer(LIGHT_COLUMNS, picked, q["tsformat"], name)
