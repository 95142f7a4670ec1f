"""chipsByLocation and chipsByParcelID: the composite chip page (HTML), its JSON status,
and errors as readable pages for browsers (JSON for API clients)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request

from cbmweb.errors import ApiError, BadParameter, TooManyRequests
from cbmweb.params import get_date_window, get_float
from ops.client_ip import client_ip
from parcels.selectors import parcel_from_params

from . import composites
from .api import parse_chipsize, parse_level
from .bands import BAND_RESOLUTION
from .composite_params import CompositeParamError, parse_bands, parse_lut
from .render import Lut

COLUMNS = 8
LIMIT_HINT = "shorten the date window"
# The views answer HttpResponses themselves; these only let content negotiation accept a
# browser's `text/html` (JSON first, so `*/*` clients get DRF's own errors as JSON).
PAGE_RENDERERS = [JSONRenderer, TemplateHTMLRenderer]


def wants_json(request: Request) -> bool:
    """Browsers ask for text/html; the CbM client and scripts send */* or JSON."""
    if request.GET.get("format") == "json":
        return True
    return "text/html" not in request.META.get("HTTP_ACCEPT", "")


def _composite_params(params: Mapping[str, str]) -> dict[str, Any]:
    start, end = get_date_window(params)
    level = parse_level(params.get("plevel"))
    try:
        bands = parse_bands(params.get("bands"), plevel=level)
        lut = parse_lut(params.get("lut"))
    except CompositeParamError as exc:
        raise BadParameter(exc.message, param=exc.param) from None
    return {
        "start": start,
        "end": end,
        "level": level,
        "bands": bands,
        "lut": lut,
        "chipsize": parse_chipsize(params),
    }


@api_view(["GET"])
@renderer_classes(PAGE_RENDERERS)
def chips_by_location(request: Request) -> HttpResponse:
    try:
        params = request.query_params
        lon = get_float(params, "lon", lo=-180, hi=180)
        lat = get_float(params, "lat", lo=-90, hi=90)
        composite = composites.CompositeRequest(lon=lon, lat=lat, **_composite_params(params))
        heading = f"Chips at {_lonlat_text(lon, lat)}"
        hidden = [("lon", f"{lon:g}"), ("lat", f"{lat:g}")]
        return _answer(request, composite, heading=heading, facts=[], hidden=hidden)
    except ApiError as exc:
        return error_answer(request, exc)


@api_view(["GET"])
@renderer_classes(PAGE_RENDERERS)
def chips_by_parcel_id(request: Request) -> HttpResponse:
    try:
        params = request.query_params
        values = _composite_params(params)
        parcel = parcel_from_params(user=request.user, params=params)
        centre = parcel.centroid
        composite = composites.CompositeRequest(
            lon=centre.x, lat=centre.y, outline_wkt=parcel.geom.wkt, **values
        )
        dataset = parcel.dataset
        crop = parcel.crop_name or parcel.crop_code or "crop unknown"
        heading = f"Parcel {parcel.pid}: {crop}, {parcel.area / 10_000:.2f} ha"
        facts = [("Dataset", str(dataset)), ("Centroid", _lonlat_text(centre.x, centre.y))]
        hidden = [("aoi", dataset.aoi), ("year", str(dataset.year)), ("pid", parcel.pid)]
        if dataset.ptype:
            hidden.append(("ptype", dataset.ptype))
        return _answer(request, composite, heading=heading, facts=facts, hidden=hidden)
    except ApiError as exc:
        return error_answer(request, exc)


def _answer(
    request: Request,
    composite: composites.CompositeRequest,
    *,
    heading: str,
    facts: list[tuple[str, str]],
    hidden: list[tuple[str, str]],
) -> HttpResponse:
    plan = composites.plan_composites(user=request.user, ip=client_ip(request), request=composite)
    status = composites.ensure_work(plan, limit_hint=LIMIT_HINT)
    cells = [_cell(c) for c in status.chips]
    if wants_json(request):
        return JsonResponse(
            {
                "state": status.state,
                "done": status.done,
                "total": status.total,
                "error": status.error,
                "dates": [c["id"] for c in cells if c["src"]],
                "chips": [c["src"] for c in cells if c["src"]],
                "items": cells,
            }
        )
    first = composite.bands[0]
    size = status.chips[0].item.specs[0] if status.chips else None
    facts = facts + [
        ("Window", f"{composite.start.isoformat()} to {composite.end.isoformat()}"),
        (
            "Bands",
            f"{'_'.join(composite.bands)} ({first} sets the {BAND_RESOLUTION[first]} m grid)",
        ),
        ("Stretch", _lut_text(composite.lut)),
        ("Level", composite.level),
        ("Chip", f"{composite.chipsize} m" + (f", {size.size_x} px" if size else "")),
    ]
    query = QueryDict(mutable=True)
    query.update(request.query_params)
    query["format"] = "json"
    context = {
        "heading": heading,
        "facts": facts,
        "rows": [cells[i : i + COLUMNS] for i in range(0, len(cells), COLUMNS)],
        "total": status.total,
        "done": status.done,
        "pending": status.state == "running",
        "status_url": f"{request.path}?{query.urlencode()}",
        "form": {
            "start_date": composite.start.isoformat(),
            "end_date": composite.end.isoformat(),
            "bands": "_".join(composite.bands),
            "lut": composite.lut.to_param(),
        },
        "hidden_fields": hidden
        + [("plevel", composite.level), ("chipsize", str(composite.chipsize))],
        "bands_label": " / ".join(composite.bands),
        "outlined": composite.outline_wkt is not None,
    }
    return render(request, "chips/composite_page.html", context)


def _cell(chip: composites.ChipState) -> dict[str, Any]:
    spec = chip.item.specs[0]
    return {
        "id": chip.item.scene.sensing_key,
        "date": chip.item.date,
        "product": chip.item.scene.product_id,
        "src": chip.src,
        "empty": chip.empty,
        "cloud": f"{chip.cloud * 100:.0f} %" if chip.cloud is not None else None,
        "width": spec.size_x,
        "height": spec.size_y,
    }


def error_answer(request: Request, exc: ApiError) -> HttpResponse:
    """JSON `{"error", "param"}` for API clients; a readable page for browsers."""
    if wants_json(request):
        response: HttpResponse = JsonResponse(exc.as_dict(), status=exc.status_code)
    else:
        context: dict[str, Any] = {
            "status": exc.status_code,
            "title": _TITLES.get(exc.status_code, "The request failed"),
            "message": exc.message,
            "param": exc.param,
        }
        if isinstance(exc, composites.TooManyChips):
            context["title"] = f"Too many chips: {exc.count}, at most {exc.limit} per request"
            context["hint"] = (
                f"Shorten the window: up to end_date={exc.suggested_end} fits in one request; "
                "ask for the rest once those are cut (chips you hold do not count)."
            )
            query = QueryDict(mutable=True)
            query.update(request.query_params)
            query["end_date"] = exc.suggested_end
            context["retry_url"] = f"{request.path}?{query.urlencode()}"
        response = render(request, "chips/error_page.html", context, status=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    429: "Too many requests",
    503: "Service unavailable",
}


def _lonlat_text(lon: float, lat: float) -> str:
    return f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"


def _lut_text(lut: Lut) -> str:
    if lut.kind == "percentile":
        lo, hi = lut.ranges[0]
        return f"percentiles {lo:g} to {hi:g} of each band"
    return "absolute " + ", ".join(f"{lo:g}..{hi:g}" for lo, hi in lut.ranges)
