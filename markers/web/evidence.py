"""GET /query/parcelEvidence: one parcel's evidence page, printable (format=pdf: the same
as a PDF): its declaration, the outline on the background image of the caller's default
source (where one is configured), the light with its reason, the season plot with the
events marked (and S1 coherence and VH where there is S1, the rain of its weather
cell), and per event the chips of the acquisitions that bracket it (the last valid one
before, the first after: chipsByParcelID's composites, made through its flow) with
links to their chipsByParcelID pages. Errors as the composite pages answer them (HTML to
browsers, JSON else)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from chips.web.pages import PAGE_RENDERERS, CompositePage
from common.schema import error_responses
from markers import services, store
from markers.detect import VERSION
from markers.models import MarkerEvent
from markers.web import evidence_chips, evidence_extras, evidence_pdf, evidence_plot
from markers.web import serializers as s
from parcels.selectors import parcel_get


class PdfRenderer(BaseRenderer):
    """format=pdf is one the page offers (the view answers the bytes itself)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> Any:  # fmt: skip
        return data


@extend_schema(
    parameters=[s.EvidenceQuery],
    responses={
        (200, "text/html"): OpenApiResponse(str, description="the evidence page"),
        (200, "application/pdf"): OpenApiResponse(bytes, description="format=pdf"),
        **error_responses(400, 401, 403, 404, 429, 503, html=True),
    },
)
class ParcelEvidence(CompositePage):
    """GET parcelEvidence: why a parcel has its light."""

    renderer_classes = [*PAGE_RENDERERS, PdfRenderer]

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

        def chips(day: object, **more: str) -> str:
            return f"{chip_page}?{urlencode({**base, 'start_date': day, 'end_date': day, **more})}"

        notes: list[str] = []

        def s1_row(e: MarkerEvent) -> list[tuple[str, str, evidence_chips.Chip]]:
            """The CARD-BS composites of the passes bracketing an event S1 saw."""
            if "S1" not in e.marker_type:
                return []
            before, after, note = evidence_chips.s1_chips(request, parcel, e.date_start,
                                                          e.date_end)  # fmt: skip
            if note:
                notes.append(f"Sentinel-1: {note}")
            return [(c.date, chips(c.date, plevel="CARD-BS"), c) for c in (before, after) if c]

        shown, note = evidence_chips.bracket_chips(
            request, parcel, {d for e in events for d in (e.date_start, e.date_end)}
        )
        rows = [
            {
                "event": e,
                "before": chips(e.date_start),
                "after": chips(e.date_end),
                "chip_before": shown.get(e.date_start.isoformat()),
                "chip_after": shown.get(e.date_end.isoformat()),
                "chips": [
                    (e.date_start, chips(e.date_start), shown.get(e.date_start.isoformat())),
                    (e.date_end, chips(e.date_end), shown.get(e.date_end.isoformat())),
                ],
                "duration": (e.date_end - e.date_start).days,
                "s1_chips": s1_row(e),
            }  # fmt: skip
            for e in events
        ]
        if notes:
            note = "; ".join([note, *notes]) if note else "; ".join(notes)
        start, end = store.season_window(key.year)
        backdrop = evidence_extras.background(request, parcel, start, end)
        if backdrop and backdrop.get("src"):
            backdrop["path"] = evidence_extras.stored_file(backdrop["src"])
        rain = evidence_extras.rain(parcel, start, end)
        context = {
            "parcel": parcel,
            "background": backdrop,
            "dataset": parcel.dataset,
            "light": light,
            "events": rows,
            "plot": evidence_plot.plot(
                a.series, a.cleaned.kept, a.cleaned.artefacts, events, a.s1, rain, (start, end)
            ),
            "chips_note": note,
            "detector": VERSION,
            "season_chips": f"{chip_page}?{urlencode(base)}",
            "markers_url": f"{reverse('markers')}?{urlencode(base)}",
        }
        if q["format"] == "pdf":
            answer = HttpResponse(evidence_pdf.render(context), content_type="application/pdf")
            answer["Content-Disposition"] = f'inline; filename="evidence-{parcel.pk}.pdf"'
            return answer
        context["pdf_url"] = f"{reverse('parcel-evidence')}?{urlencode({**base, 'format': 'pdf'})}"
        return render(request, "markers/evidence.html", context)
