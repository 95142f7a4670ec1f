"""The inspection JSON endpoints under /query/: parcel suggestions as the inspector types
(parcelSuggest), the parcels of a map view (parcelMap, GeoJSON) and the decisions of a
dataset (inspectionDecisions, JSON columns or CSV). AOI rules and errors as the API's."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error_responses
from inspection import selectors
from inspection.web import serializers as s
from markers.web.api import answer
from parcels.access import check_aoi
from parcels.selectors import dataset_get

DECISION_COLUMNS = ("pid", "verdict", "comment", "user", "decided_at", "light", "light_now",
                    "light_changed", "current", "detector", "rules",
                    "parcel_changed")  # fmt: skip


@extend_schema(
    description="Parcels whose id starts with q, in the datasets of the AOIs the caller may "
    "see (the exact id first, then by id; newest dataset first), each with the URL of its "
    "page over its dataset's season: the front page's search box asks it as one types.",
    parameters=[s.SuggestQuery],
    responses={200: s.Suggestions, **error_responses(400, 401, 403, 429, 503)},
)
class ParcelSuggest(APIView):
    def get(self, request: Request) -> Response:
        q = s.SuggestQuery.validated(request.query_params)
        datasets = selectors.visible_datasets(request.user)
        if q["aoi"] is not None:
            check_aoi(request.user, q["aoi"])  # 403 for an AOI not granted, as the API
            datasets = datasets.filter(aoi=q["aoi"])
        if q["year"] is not None:
            datasets = datasets.filter(year=q["year"])
        return Response({"suggestions": selectors.suggest(datasets, q["q"], q["limit"])})


class GeoJSONRenderer(JSONRenderer):
    """Lets a client that accepts only GeoJSON in (the answer is written by the view)."""

    media_type = "application/geo+json"
    format = "geojson"


@extend_schema(
    description="The parcels of a dataset in a map view, as a GeoJSON FeatureCollection: "
    "outlines simplified to half a pixel at the zoom, each with its traffic light, practice "
    "and reason (null where the markers have not run). At most `limit` parcels (by id); "
    "`truncated` says more are in the view. Filter by light (none: not assessed) and "
    "practice.",
    parameters=[s.MapQuery],
    responses={
        (200, "application/geo+json"): OpenApiResponse(s.MapCollection),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class ParcelMap(APIView):
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        """Errors answer JSON, as every endpoint's, whatever the client accepted."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def get(self, request: Request) -> HttpResponse:
        q = s.MapQuery.validated(request.query_params)
        dataset = dataset_get(user=request.user, key=q["dataset"])
        features, truncated = selectors.map_features(
            dataset, q["zoom"], lights=q["light"] or (), practice=q["practice"], limit=q["limit"]
        )
        # The database wrote each geometry as GeoJSON: it goes in as it is, not parsed and
        # dumped again (most of an answer's bytes).
        parts = [
            f'{{"type":"Feature","id":{json.dumps(props["pid"])},"geometry":{geometry},'
            f'"properties":{json.dumps(props)}}}'
            for geometry, props in features
        ]
        body = (
            '{"type":"FeatureCollection","features":[' + ",".join(parts) + "],"
            f'"truncated":{json.dumps(truncated)},"limit":{q["limit"]}}}'
        )
        return HttpResponse(body, content_type="application/geo+json")


@extend_schema(
    description="The inspectors' decisions on a dataset's parcels in its season, every one "
    "(a parcel's latest first, `current`), with who and when, the light each was made on "
    "and the parcel's light now (`light_changed`: a later markers run changed it). "
    "tsformat=csv: a CSV attachment.",
    parameters=[s.DecisionsQuery],
    responses={
        200: OpenApiResponse(s.DecisionColumns, description="the columns (or the CSV)"),
        **error_responses(400, 401, 403, 404, 429, 503),
    },
)
class InspectionDecisions(APIView):
    def get(self, request: Request) -> Response | HttpResponse:
        q = s.DecisionsQuery.validated(request.query_params)
        dataset = dataset_get(user=request.user, key=q["dataset"])
        rows = decision_rows(dataset)
        name = f"decisions_{dataset.aoi}{dataset.season_label}"
        return answer(DECISION_COLUMNS, rows, q["tsformat"], f"{name}.csv")


def decision_rows(dataset: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for d, pid, light_now in selectors.dataset_decisions(dataset):
        current = pid not in seen
        seen.add(pid)
        rows.append((pid, d.verdict, d.comment, d.username,
                     d.decided_at.isoformat(timespec="seconds"), d.light, light_now,
                     light_now != d.light, current, d.detector, d.rules,
                     d.parcel_changed))  # fmt: skip
    return rows
