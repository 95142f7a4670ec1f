"""The inspector's pages under /inspect/: the start (datasets with their lights, the search
box), find (a parcel id or a point across the caller's datasets, landing on the parcel's
page), the dataset map, and the review list with the decision form. Errors answer as the
HTML error page for browsers (JSON else), as the composite pages do."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request

from chips.web.pages import CompositePage
from common.errors import BadParameter, Forbidden, NotFound
from inspection import selectors, services
from inspection.base_layer import base_layer
from inspection.models import Verdict
from inspection.review import DEFAULT_LIGHTS, ReviewList
from inspection.web import serializers as s
from markers.models import LIGHTS, MarkerEvent, Practice, TrafficLight
from parcels.access import check_aoi
from parcels.models import Parcel, ParcelDataset
from parcels.selectors import dataset_get, parcel_get

FIND_MAX = 20


class InspectionPage(CompositePage):
    """An HTML page of the inspector's (not part of the API's schema)."""

    schema = None


@extend_schema(exclude=True)
class Start(InspectionPage):
    """GET /inspect/: the caller's datasets, their lights and decisions, the ways in."""

    def get(self, request: Request) -> HttpResponse:
        datasets = [
            {
                "dataset": d,
                "params": urlencode(selectors.dataset_params(d)),
                "lights": selectors.light_counts(d),
            }
            for d in selectors.visible_datasets(request.user)
        ]
        return render(request, "inspection/start.html", {"datasets": datasets})


@extend_schema(exclude=True)
class Find(InspectionPage):
    """GET /inspect/find?q=<pid> or ?lon=&lat=: one match lands on the parcel's page, more
    are listed to choose from, none answers 404 with the ids that start so."""

    def get(self, request: Request) -> HttpResponse:
        q = s.FindQuery.validated(request.query_params)
        datasets = selectors.visible_datasets(request.user)
        if q["aoi"] is not None:
            check_aoi(request.user, q["aoi"])
            datasets = datasets.filter(aoi=q["aoi"])
        if q["year"] is not None:
            datasets = datasets.filter(year=q["year"])
        if q["q"] is not None:
            found = selectors.find_by_pid(datasets, q["q"], FIND_MAX)
            asked = f"parcel id {q['q']!r}"
        else:
            found = selectors.find_by_point(datasets, q["lon"], q["lat"], FIND_MAX)
            asked = f"the point {q['lon']:.6f}, {q['lat']:.6f}"
        if len(found) == 1:
            return HttpResponseRedirect(found[0]["url"])
        near = selectors.suggest(datasets, q["q"], FIND_MAX) if q["q"] and not found else []
        context = {"asked": asked, "found": found, "near": near, "query": q}
        return render(request, "inspection/find.html", context, status=200 if found else 404)


@extend_schema(exclude=True)
class DatasetMap(InspectionPage):
    """GET /inspect/map?aoi=&year=[&ptype=][&pid=]: the dataset's parcels on a map."""

    def get(self, request: Request) -> HttpResponse:
        q = s.DatasetPageQuery.validated(request.query_params)
        dataset = dataset_get(user=request.user, key=q["dataset"])
        centre = None
        if q["pid"] is not None:
            parcel = parcel_get(user=request.user, key=q["dataset"], pid=q["pid"])
            centre = [parcel.centroid.x, parcel.centroid.y]
        params = selectors.dataset_params(dataset)
        start, end = selectors.season(dataset.year)
        config = {
            "data": f"{reverse('parcel-map')}?{urlencode(params)}",
            "page": f"{reverse('chips-by-parcel-id')}?"
            f"{urlencode({**params, 'start_date': start, 'end_date': end})}",
            "extent": selectors.dataset_extent(dataset),
            "centre": centre,
            "maxSpan": s.MAP_MAX_SPAN,
            "base": base_layer(request),
        }
        context = {
            "dataset": dataset,
            "config": config,
            "practices": _practices(dataset),
            "lights": [*LIGHTS, selectors.NO_LIGHT],
            "review_url": f"{reverse('inspection-review')}?{urlencode(params)}",
        }
        return render(request, "inspection/map.html", context)


def _practices(dataset: ParcelDataset) -> list[str]:
    """The practices of the dataset's rules; without rules, those its lights name."""
    named = set(Practice.objects.filter(ruleset__dataset=dataset).values_list("name", flat=True))
    if not named:
        lights = TrafficLight.objects.filter(parcel__dataset=dataset, year=dataset.year)
        named = set(lights.exclude(practice="").values_list("practice", flat=True).distinct())
    return sorted(named)


@extend_schema(exclude=True)
class Review(InspectionPage):
    """GET /inspect/review?aoi=&year=[&pid=]: the red and yellow parcels in a stable order,
    one in view with its light, events and decisions; POST records a decision on it and
    moves on to the next."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: Request) -> HttpResponse:
        q = s.ReviewQuery.validated(request.query_params)
        return self._page(request, q)

    def post(self, request: Request) -> HttpResponse:
        _check_csrf(request)
        q = s.ReviewQuery.validated(request.query_params)
        form = s.DecisionForm.validated(request.data)
        if q["pid"] is None:
            raise BadParameter("pid is required to record a decision", param="pid")
        parcel = parcel_get(user=request.user, key=q["dataset"], pid=q["pid"])
        user = cast(User, request.user)  # IsAuthenticated: never anonymous here
        comment = form["comment"] or ""
        services.record_decision(user=user, parcel=parcel, verdict=form["verdict"], comment=comment)
        listed = _review_list(parcel.dataset, q)
        row = listed.find(parcel.pid)
        following = listed.after(row, 1) if row is not None else []
        target = following[0].parcel.pid if following and "next" in request.data else parcel.pid
        return HttpResponseRedirect(_review_url(q, target) + "#decided")

    def _page(self, request: Request, q: dict[str, Any]) -> HttpResponse:
        dataset = dataset_get(user=request.user, key=q["dataset"])
        view = _review_list(dataset, q).window(q["pid"])
        current = view.current
        if q["pid"] is not None and current is None:
            parcel_get(user=request.user, key=q["dataset"], pid=q["pid"])  # 404: no parcel
            raise NotFound(f"parcel {q['pid']!r} is not in this review list", param="pid")
        parcel = current.parcel if current is not None else None
        params = selectors.dataset_params(dataset)
        context = {
            "dataset": dataset,
            "rows": [(r, _review_url(q, r.parcel.pid)) for r in view.rows],
            "first": view.first_number,
            "total": view.total,
            "current": current,
            "position": view.position,
            "counts": view.counts,
            "prev_url": _review_url(q, view.prev_pid) if view.prev_pid else "",
            "next_url": _review_url(q, view.next_pid) if view.next_pid else "",
            "parcel_url": selectors.parcel_page_url(dataset, parcel.pid) if parcel else "",
            "evidence_url": _evidence_url(dataset, parcel.pid) if parcel else "",
            "events": _events(parcel, dataset.year),
            "decisions": selectors.decisions(parcel, dataset.year) if parcel else [],
            "verdicts": Verdict.choices,
            "csv_url": f"{reverse('inspection-decisions')}?"
            f"{urlencode({**params, 'tsformat': 'csv'})}",
            "map_url": f"{reverse('inspection-map')}?{urlencode(params)}",
            "form_url": _review_url(q, parcel.pid) if parcel is not None else "",
        }
        return render(request, "inspection/review.html", context)


def _review_list(dataset: ParcelDataset, q: dict[str, Any]) -> ReviewList:
    return ReviewList(dataset, q["light"] or DEFAULT_LIGHTS, q["practice"])


def _events(parcel: Parcel | None, year: int) -> list[MarkerEvent]:
    if parcel is None:
        return []
    return list(MarkerEvent.objects.filter(parcel=parcel, year=year).order_by("date_main"))


def _review_url(q: dict[str, Any], pid: str) -> str:
    key = q["dataset"]
    params: dict[str, Any] = {"aoi": key.aoi, "year": key.year}
    if key.ptype:
        params["ptype"] = key.ptype
    if q["light"]:
        params["light"] = ",".join(q["light"])
    if q["practice"]:
        params["practice"] = q["practice"]
    params["pid"] = pid
    return f"{reverse('inspection-review')}?{urlencode(params)}"


def _evidence_url(dataset: ParcelDataset, pid: str) -> str:
    params = {**selectors.dataset_params(dataset), "pid": pid}
    return f"{reverse('parcel-evidence')}?{urlencode(params)}"


def _check_csrf(request: Request) -> None:
    """The decision form carries Django's CSRF token, whatever the authentication: a
    browser sends its Basic credentials with a cross-site form as readily as a cookie."""
    check = CsrfViewMiddleware(_unused)
    check.process_request(request._request)
    refused = check.process_view(request._request, _unused, (), {})
    if refused is not None:
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page", param="csrf")


def _unused(request: Any) -> HttpResponse:
    """The view the CSRF check is told of: it never calls it."""
    return HttpResponse()
