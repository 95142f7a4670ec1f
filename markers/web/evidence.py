"""GET /query/parcelEvidence: one parcel's evidence page, printable: its declaration, the
light with its reason, the season plot with the events marked, and per event the
acquisitions that bracket it (the last valid one before, the first after) with links to
their chips. Errors as the composite pages answer them (HTML to browsers, JSON else)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from chips.web.pages import CompositePage
from common.schema import error_responses
from markers import services
from markers.detect import VERSION
from markers.web import evidence_plot
from markers.web import serializers as s
from parcels.selectors import parcel_get


@extend_schema(
    parameters=[s.EvidenceQuery],
    responses={
        (200, "text/html"): OpenApiResponse(str, description="the evidence page"),
        **error_responses(400, 401, 403, 404, 429, 503, html=True),
    },
)
class ParcelEvidence(CompositePage):
    """GET parcelEvidence: why a parcel has its light."""

    def get(self, request: Request) -> HttpResponse:
        q = s.EvidenceQuery.validated(request.query_params)
        key = q["dataset"]
        parcel = parcel_get(user=request.user, key=key, pid=q["pid"])
        events, light, a = services.parcel_markers(parcel, with_series=True)
        assert a is not None
        chip_page = reverse("chips-by-parcel-id")
        base = {"aoi": key.aoi, "year": key.year, "pid": parcel.pid}
        if key.ptype:
            base["ptype"] = key.ptype

        def chips(day: object) -> str:
            return f"{chip_page}?{urlencode({**base, 'start_date': day, 'end_date': day})}"

        rows = [
            {
                "event": e,
                "before": chips(e.date_start),
                "after": chips(e.date_end),
                "duration": (e.date_end - e.date_start).days,
            }  # fmt: skip
            for e in events
        ]
        context = {
            "parcel": parcel,
            "dataset": parcel.dataset,
            "light": light,
            "events": rows,
            "plot": evidence_plot.plot(a.series, a.cleaned.kept, a.cleaned.artefacts, events),
            "detector": VERSION,
            "season_chips": f"{chip_page}?{urlencode(base)}",
            "markers_url": f"{reverse('markers')}?{urlencode(base)}",
        }
        return render(request, "markers/evidence.html", context)
