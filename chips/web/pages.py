"""chipsByLocation and chipsByParcelID: the composite chip page (HTML) and its JSON status;
errors answer as readable pages for browsers (JSON for API clients)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models import Count, Max, Min
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.metadata import SimpleMetadata
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chips.composite.plan import CompositePlan, CompositeRequest, plan_composites
from chips.composite.status import ChipState, PlanStatus, cloud_text, job_progress, plan_status
from chips.composite.work import ensure_work
from chips.errors import TooManyChips, fitting_windows
from chips.models import JobKind, Scene
from chips.raster.bands import BAND_RESOLUTION
from chips.signatures import series
from chips.web import s1_page, s1_season
from chips.web import serializers as s
from chips.web.api import caller
from chips.web.season import season, season_fields
from chips.work import jobs
from common import page_panels
from common.errors import NotFound
from common.negotiation import wants_json
from common.page_panels import ParcelWindow
from common.schema import error_responses
from ops.accounting import record_chips
from ops.client_ip import client_ip
from parcels.selectors import parcel_get

COLUMNS = 8
LIMIT_HINT = "shorten the date window"
# The views answer HttpResponses themselves; these only let content negotiation accept a
# browser's `text/html` (JSON first, so `*/*` clients get DRF's own errors as JSON).
PAGE_RENDERERS = [JSONRenderer, TemplateHTMLRenderer]
PAGE_ANSWERS = {
    (200, "text/html"): OpenApiResponse(str, description="the page of chips"),
    (200, "application/json"): OpenApiResponse(
        s.CompositeAnswer, description="format=json (or no text/html in Accept)"
    ),
}


class CompositePage(APIView):
    """Base of the two composite pages: errors answer as the HTML error page for browsers
    (common.http_errors reads `error_pages`)."""

    renderer_classes = PAGE_RENDERERS
    error_pages = True
    http_method_names = ["get", "options"]  # as the function views had it: no HEAD

    # Request, as DRF declares it (its stubs ignore the same override of Django's View).
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        """DRF's OPTIONS metadata, always as JSON: the HTML renderer (format=html) has no
        template for it."""
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
        return Response(SimpleMetadata().determine_metadata(request, self))


@extend_schema(
    parameters=[s.ChipsByLocationQuery, s.CompositeJobQuery],
    responses={**PAGE_ANSWERS, **error_responses(400, 401, 404, 429, 503, html=True)},
)
class ChipsByLocation(CompositePage):
    """GET chipsByLocation: the composites around lon/lat, as a page or JSON."""

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        job = s.CompositeJobQuery.validated(params)["job"]
        if job:
            return _job_answer(request, job)
        values = s.ChipsByLocationQuery.validated(params)
        lon, lat = values["lon"], values["lat"]
        composite = CompositeRequest(**values)
        heading = f"Chips at {_lonlat_text(lon, lat)}"
        hidden = [("lon", f"{lon:g}"), ("lat", f"{lat:g}")]
        return _answer(request, composite, heading=heading, facts=[], hidden=hidden)


@extend_schema(
    parameters=[s.ChipsByParcelQuery, s.CompositeJobQuery],
    responses={**PAGE_ANSWERS, **error_responses(400, 401, 403, 404, 429, 503, html=True)},
)
class ChipsByParcelId(CompositePage):
    """GET chipsByParcelID / chipsByParcelId: the composites of a parcel, outlined."""

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        job = s.CompositeJobQuery.validated(params)["job"]
        if job:
            return _job_answer(request, job)
        values = s.ChipsByParcelQuery.validated(params)
        parcel = parcel_get(user=request.user, key=values.pop("dataset"), pid=values.pop("pid"))
        min_clear = values.pop("min_clear")
        keep = series.clear_filter(parcel, min_clear)
        centre = parcel.centroid
        composite = CompositeRequest(
            lon=centre.x, lat=centre.y, outline_wkt=parcel.geom.wkt, **values
        )
        dataset = parcel.dataset
        crop = parcel.crop_name or parcel.crop_code or "crop unknown"
        heading = f"Parcel {parcel.pid}: {crop}, {parcel.area / 10_000:.2f} ha"
        facts = [
            ("Crop code", parcel.crop_code or "none"),
            ("Dataset", str(dataset)),
            ("Centroid", _lonlat_text(centre.x, centre.y)),
        ]
        hidden = [("aoi", dataset.aoi), ("year", str(dataset.year)), ("pid", parcel.pid)]
        if dataset.ptype:
            hidden.append(("ptype", dataset.ptype))

        def season_of(chips: set[str]) -> dict[str, Any] | None:
            return season(parcel, level=composite.level, start=composite.start,
                          end=composite.end, min_clear=min_clear, chips=chips)  # fmt: skip

        def s1_of() -> dict[str, Any] | None:  # Sentinel-1 under the NDVI (chips.web.s1_season)
            return s1_season.context(parcel, start=composite.start, end=composite.end,
                                     hidden=hidden)  # fmt: skip

        window = ParcelWindow(parcel, composite.start, composite.end, composite.chipsize)
        return _answer(request, composite, heading=heading, facts=facts, hidden=hidden, keep=keep,
                       season_of=season_of, s1_of=s1_of,
                       panels_of=lambda: page_panels.panels(request._request, window))  # fmt: skip


def _job_answer(request: Request, job_id: str) -> HttpResponse:
    """`job=<id>`: where that composite job of the caller stands (what the page polls).
    It only reads: a poll never plans nor starts any work."""
    job = jobs.job_of(user=caller(request), job_id=job_id)
    if job.kind != JobKind.COMPOSITE:
        raise NotFound("no such composite job", param="job")
    return JsonResponse(job_progress(job))


def _answer(
    request: Request,
    composite: CompositeRequest,
    *,
    heading: str,
    facts: list[tuple[str, str]],
    hidden: list[tuple[str, str]],
    keep: series.SceneFilter | None = None,
    season_of: Callable[[set[str]], dict[str, Any] | None] | None = None,
    s1_of: Callable[[], dict[str, Any] | None] | None = None,
    panels_of: Callable[[], list[dict[str, Any]]] | None = None,
) -> HttpResponse:
    plan = plan_composites(
        user=caller(request), ip=client_ip(request), request=composite, keep=keep
    )
    batches: list[tuple[str, str]] = []
    try:
        status = ensure_work(plan, limit_hint=LIMIT_HINT)
    except TooManyChips:
        if wants_json(request):
            raise  # the JSON API keeps its per-request limit
        status, batches = _first_window(plan, composite)
    # Composites count as chips cut for the user who asked, as raw chips do (ops.accounting).
    record_chips(request, cut=status.started, cached=status.cached)
    cells = [_cell(c) for c in status.chips]
    if wants_json(request):
        return JsonResponse(_json_answer(status, cells))
    context = _page_context(request, composite, status, cells, heading, facts, hidden, batches)
    if season_of is not None:  # the parcel's season above its chips (chips.web.season)
        found = season_of({c["id"] for c in cells if c["src"]}) or {}
        # Each chip's badge says the parcel's own SCL share, as the plot counts it.
        for cell in cells:
            cell["sky"] = found.get("sky", {}).get(cell["id"])
        context["season"] = found if "points" in found else None
        context["season_fields"] = season_fields(hidden, composite)
        context["parcel_sky"] = True
    if s1_of is not None:
        context["s1_season"] = s1_of()
    # Other apps' panels beside the season (common.page_panels: background, weather).
    context["parcel_panels"] = panels_of() if panels_of is not None else []
    return render(request, "chips/composite_page.html", context)


def _first_window(
    plan: CompositePlan, composite: CompositeRequest
) -> tuple[PlanStatus, list[tuple[str, str]]]:
    """Over the per-request limit, the page shows the whole window: its script asks for it
    in windows that each fit the limit, one after the other, filling the chips in as they
    come. The first window starts here, from the same plan (as a page without a script,
    reloading, goes on). The status of the whole window, and the windows left."""
    status = plan_status(plan)
    batches = season_windows(
        status.chips,
        start=composite.start,
        end=composite.end,
        limit=settings.MAX_CHIPS_PER_REQUEST,
        refresh=composite.refresh,
    )
    first = plan.window(dt.date.fromisoformat(batches[0][0]), dt.date.fromisoformat(batches[0][1]))
    started = ensure_work(first, limit_hint=LIMIT_HINT)
    running = started.job_id if started.state == "running" else None
    held = sum(1 for c in status.chips if c.src)
    status = dataclasses.replace(status, job_id=running, started=started.started, cached=held)
    return status, batches[1:]


def _json_answer(status: PlanStatus, cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "state": status.state,
        "done": status.done,
        "total": status.total,
        "error": status.error,
        "job": status.job_id,
        "dates": [c["id"] for c in cells if c["src"]],
        "chips": [c["src"] for c in cells if c["src"]],
        "items": [{k: c[k] for k in JSON_ITEM_KEYS} for c in cells],
        # Acquisitions whose band files could not be read: that date, its reason.
        "failed": [{"id": d, "error": r} for d, r in sorted(status.failed.items())],
    }


def _page_context(
    request: Request,
    composite: CompositeRequest,
    status: PlanStatus,
    cells: list[dict[str, Any]],
    heading: str,
    facts: list[tuple[str, str]],
    hidden: list[tuple[str, str]],
    batches: list[tuple[str, str]],
) -> dict[str, Any]:
    size = status.chips[0].item.specs[0].size_x if status.chips else None
    facts = facts + [
        ("Window", _window_text(composite.start, composite.end)),
        ("Level", composite.level.replace("LEVEL", "L")),
        ("Chip", f"{composite.chipsize} m" + (f", {size} px" if size else "")),
    ]
    return {
        "heading": heading,
        "facts": facts,
        "legend": _legend(composite, _common_offset(status)),
        "stretch_switch": _stretch_switch(request, composite, cells),
        "raw_url": _raw_url(request, composite),
        "percentile": composite.lut.kind == "percentile",
        "tips": {c["id"]: _tip(c) for c in cells if c["src"]},
        "outlined": composite.outline_wkt is not None,
        "rows": [cells[i : i + COLUMNS] for i in range(0, len(cells), COLUMNS)],
        "display_px": _display_px(size or 128),
        "scale_bar": _scale_bar(composite.chipsize, _display_px(size or 128)),
        "total": status.total,
        "coverage": _coverage(composite) if not status.total else "",
        "done": status.done,
        "pending": status.state == "running" or bool(batches),
        "failed": status.error if status.state == "failed" and not batches else "",
        "unreadable": sorted(status.failed.items()),
        "batches": [list(w) for w in batches],
        "batch_url": _url_with(request, format="json", start_date=None, end_date=None),
        "status_url": _status_url(request, status.job_id) if status.job_id else "",
        # The page's own answer as JSON: what its script asks again if its job is gone.
        "again_url": _url_with(request, format="json", refresh=None),
        "refreshing": composite.refresh,
        "plain_url": _url_with(request, refresh=None),
        "earlier_url": _shifted(request, composite, -1),
        "later_url": _shifted(request, composite, +1),
        "presets": [
            (label, "_".join(bands), _url_with(request, bands="_".join(bands), refresh=None))
            for label, bands in BAND_PRESETS
            if not s1_page.is_s1(composite)  # a Sentinel-1 composite's layers are fixed
        ],
        "form": {
            "start_date": composite.start.isoformat(),
            "end_date": composite.end.isoformat(),
            "bands": "_".join(composite.bands),
            "lut": composite.lut.to_param(),
        },
        "hidden_fields": hidden
        + [("plevel", composite.level), ("chipsize", str(composite.chipsize))],
        "bands_label": " / ".join(composite.bands),
    }


def season_windows(
    chips: Sequence[ChipState], *, start: dt.date, end: dt.date, limit: int, refresh: bool
) -> list[tuple[str, str]]:
    """[start, end] cut into successive date windows (ISO dates) that each hold at most
    `limit` composites still to make (all of them with `refresh`), in sensing order: held
    or empty ones cost nothing, whichever window shows them (chips.errors.fitting_windows,
    as the over-the-limit answer lists them)."""
    days = [dt.date.fromisoformat(c.item.date) for c in chips if refresh or not (c.src or c.empty)]
    return fitting_windows(days, start=start, end=end, limit=limit)


JSON_ITEM_KEYS = ("id", "date", "product", "src", "empty", "cloud", "stretch", "width", "height")
BAND_PRESETS = (
    ("False colour", ("B08", "B04", "B03")),
    ("True colour", ("B04", "B03", "B02")),
    ("SWIR", ("B11", "B08", "B04")),
    ("Red edge", ("B8A", "B05", "B04")),
)
BAND_NAMES = {
    "B02": "blue",
    "B03": "green",
    "B04": "red",
    "B05": "red edge 1",
    "B06": "red edge 2",
    "B07": "red edge 3",
    "B08": "near infrared",
    "B8A": "narrow NIR",
    "B11": "SWIR 1",
    "B12": "SWIR 2",
}


def _cell(chip: ChipState) -> dict[str, Any]:
    spec = chip.item.specs[0]
    scene = chip.item.scene
    sensed = scene.sensing_time.astimezone(dt.UTC)
    cloud = chip.facts.cloud
    return {
        "id": scene.sensing_key,
        "date": chip.item.date,
        "when": f"{sensed:%a} {sensed:%H:%M} UTC",
        "platform": f"{scene.mission} R{scene.relative_orbit:03d}",
        "product": scene.product_id,
        "src": chip.src,
        "empty": chip.empty,
        "cloud": cloud_text(cloud),
        "cloud_share": cloud,
        "cloud_class": _cloud_class(cloud),
        "stretch": chip.facts.stretch,
        "width": spec.size_x,
        "height": spec.size_y,
    }


def _tip(cell: dict[str, Any]) -> str:
    """Hover text of a chip: its product and the band values shown as black and full."""
    lines = [cell["product"], *(cell["stretch"] or "").split()]
    return "\n".join(lines)


def _cloud_class(share: float | None) -> str:
    if share is None:
        return ""
    return "clear" if share < 0.1 else "some" if share < 0.5 else "cloudy"


def _display_px(size: int) -> int:
    """On-screen size of a chip: small chips (20 m grid) doubled, pixel for pixel, so a
    1280 m chip looks the same size whatever its first band; big ones shrunk to fit 8."""
    if size < 100:
        return size * max(1, 128 // size)
    return min(size, 144)


def _stretch_switch(
    request: Request, composite: CompositeRequest, cells: list[dict[str, Any]]
) -> dict[str, str] | None:
    """The other stretch, as a link: from each chip's own percentiles to one stretch for
    every date (the median, over the window's clear chips made so far, of each band's
    per-chip limits: dates then compare by brightness), or back to per-chip."""
    if composite.lut.kind == "absolute":
        return {
            "label": "Stretch each chip on its own (5_95)",
            "url": _url_with(request, lut="5_95"),
        }
    limits = _clear_chip_limits(cells, composite.bands)
    if not limits:
        return None  # no clear chip made yet: a reload once they are offers it
    lut = "_".join(f"{lo:.0f}_{hi:.0f}" for lo, hi in limits)
    return {"label": "Same stretch for all dates", "url": _url_with(request, lut=lut)}


def _clear_chip_limits(
    cells: list[dict[str, Any]], bands: Sequence[str]
) -> list[tuple[float, float]] | None:
    per_band: dict[str, list[tuple[float, float]]] = {band: [] for band in bands}
    for cell in cells:
        sky, cloud = cell.get("sky"), cell.get("cloud_share")
        clear = sky.clear >= 90 if sky is not None else cloud is not None and cloud < 0.1
        if not (cell["src"] and cell["stretch"] and clear):
            continue
        for part in cell["stretch"].split():  # `B08:812-4410`
            band, _, values = part.partition(":")
            lo, _, hi = values.partition("-")
            if band in per_band:
                per_band[band].append((float(lo), float(hi)))
    if any(not pairs for pairs in per_band.values()):
        return None
    return [
        (
            statistics.median(lo for lo, _ in per_band[b]),
            statistics.median(hi for _, hi in per_band[b]),
        )
        for b in bands
    ]


def _common_offset(status: PlanStatus) -> int | None:
    """The radiometric offset (DN) all the window's scenes share; None when they differ."""
    offsets = {getattr(chip.item.scene, "radiometric_offset", 0) for chip in status.chips}
    return offsets.pop() if len(offsets) == 1 else None


def _raw_url(request: Request, composite: CompositeRequest) -> str:
    """Where the page's enlarged chip fetches the GeoTIFF of a band (date and band added
    by the script): the raw chip of the same place, size and level."""
    params = request.query_params
    common = {"chipsize": str(composite.chipsize), "plevel": composite.level}
    if "pid" in params:
        keys = {k: params[k] for k in ("aoi", "year", "pid", "ptype") if k in params}
        return f"/query/rawChipByParcelID?{urlencode({**keys, **common})}"
    lonlat = {"lon": f"{composite.lon!r}", "lat": f"{composite.lat!r}"}
    return f"/query/rawChipByLocation?{urlencode({**lonlat, **common})}"


def _coverage(composite: CompositeRequest) -> str:
    """What the archive holds at the point, for an empty window: its dates there, or the
    tiles it holds at all (the answer to "why nothing?")."""
    if s1_page.is_s1(composite):
        return s1_page.coverage(composite)
    here = Scene.objects.filter(
        level=composite.level, footprint__intersects=Point(composite.lon, composite.lat, srid=4326)
    ).aggregate(first=Min("sensing_time"), last=Max("sensing_time"), n=Count("id"))
    if here["n"]:
        first, last = here["first"].date(), here["last"].date()
        return (f"the archive has {here['n']} {composite.level} acquisitions here, "
                f"from {first:%d %b %Y} to {last:%d %b %Y}")  # fmt: skip
    tiles = sorted(set(Scene.objects.filter(level=composite.level).values_list("tile", flat=True)))
    if not tiles:
        return f"the archive holds no {composite.level} product at all"
    covered = ", ".join(tiles[:12])
    return f"the archive has no {composite.level} product here; it covers tiles {covered}"


def _scale_bar(chipsize: int, display_px: int) -> dict[str, int]:
    """A round ground length about a third of the chip, and its width on screen."""
    metres = max((m for m in SCALE_LENGTHS if m <= chipsize / 3), default=SCALE_LENGTHS[0])
    return {"metres": metres, "px": max(1, round(metres / chipsize * display_px))}


SCALE_LENGTHS = (5, 10, 20, 50, 100, 200, 250, 500, 1000, 1500)


def _legend(composite: CompositeRequest, offset: int | None) -> list[dict[str, str]]:
    if s1_page.is_s1(composite):
        return s1_page.legend(composite)
    lut = composite.lut
    rows = []
    for i, channel in enumerate("RGB"):  # each channel's ramp is a class of the page's CSS
        band = composite.bands[i]
        if lut.kind == "percentile":
            lo, hi = lut.ranges[0]
            scale = f"{lo:g}th to {hi:g}th percentile of each chip"
        else:
            lo, hi = lut.ranges[i]
            scale = _reflectance_range(lo, hi, offset)
        rows.append(
            {
                "channel": channel,
                "band": band,
                "name": BAND_NAMES.get(band, ""),
                "resolution": f"{BAND_RESOLUTION[band]} m",
                "scale": scale,
            }
        )
    return rows


def _reflectance_range(lo: float, hi: float, offset: int | None) -> str:
    """An absolute stretch in reflectance, (DN + offset) / 10000, for all dates alike."""
    if offset is None:  # baselines with different offsets in the window
        return f"DN {lo:g} to {hi:g} (the window mixes processing baselines)"
    return f"reflectance {(lo + offset) / 1e4:.3f} to {(hi + offset) / 1e4:.3f}, every date"


def _url_with(request: Request, **changes: str | None) -> str:
    query = QueryDict(mutable=True)
    query.update(request.query_params)
    for name in ("format", "job"):
        query.pop(name, None)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"{request.path}?{query.urlencode()}"


def _status_url(request: Request, job_id: str) -> str:
    return _url_with(request, format="json", job=job_id, refresh=None)


def _shifted(request: Request, composite: CompositeRequest, step: int) -> str:
    """The same request for the window of the same length just before (or after) this one;
    "" (no link) when that window would leave the calendar (before 0001-01-01, after
    9999-12-31)."""
    shift = dt.timedelta(days=step * ((composite.end - composite.start).days + 1))
    try:
        start, end = composite.start + shift, composite.end + shift
    except OverflowError:
        return ""
    return _url_with(request, start_date=start.isoformat(), end_date=end.isoformat(), refresh=None)


def _window_text(start: dt.date, end: dt.date) -> str:
    days = (end - start).days + 1
    return f"{start:%d %b %Y} to {end:%d %b %Y} ({days} day{'s' if days != 1 else ''})"


def _lonlat_text(lon: float, lat: float) -> str:
    return f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
