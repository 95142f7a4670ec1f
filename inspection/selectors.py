"""Reads of the inspector's pages: the datasets a user may see, parcels by id prefix or
point across them, the parcels of a map view, the review list and the decisions. The AOI
rules are the API's (parcels.access): staff see every AOI, others the AOIs granted."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.db.models import Extent, GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc
from django.contrib.gis.geos import Point, Polygon
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Collate
from django.urls import reverse

from inspection.models import Decision
from markers.models import TrafficLight
from parcels.access import user_aois
from parcels.models import Parcel, ParcelDataset

AnyUser = User | AnonymousUser
NO_LIGHT = "none"


def visible_datasets(user: AnyUser) -> QuerySet[ParcelDataset]:
    """The datasets of the AOIs `user` may see, newest year first."""
    datasets = ParcelDataset.objects.order_by("-year", "aoi", "ptype")
    if not user.is_authenticated:
        return datasets.none()
    aois = user_aois(user)
    return datasets if aois is None else datasets.filter(aoi__in=aois)


def season(year: int) -> tuple[dt.date, dt.date]:
    """The season the parcel page opens on: the dataset's year (as the markers read it)."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def dataset_params(dataset: ParcelDataset) -> dict[str, Any]:
    params: dict[str, Any] = {"aoi": dataset.aoi, "year": dataset.year}
    if dataset.ptype:
        params["ptype"] = dataset.ptype
    return params


def parcel_page_url(dataset: ParcelDataset, pid: str) -> str:
    """The parcel's page (chipsByParcelID) over its dataset's season."""
    start, end = season(dataset.year)
    query = {**dataset_params(dataset), "pid": pid, "start_date": start, "end_date": end}
    return f"{reverse('chips-by-parcel-id')}?{urlencode(query)}"


def _matches(parcels: QuerySet[Parcel], limit: int) -> list[dict[str, Any]]:
    rows = parcels.select_related("dataset").only(
        "pid", "crop_name", "crop_code", "centroid", "dataset__aoi", "dataset__year",
        "dataset__ptype",
    )[:limit]  # fmt: skip
    return [
        {
            "aoi": p.dataset.aoi,
            "year": p.dataset.year,
            "ptype": p.dataset.ptype,
            "pid": p.pid,
            "cropname": p.crop_name,
            "cropcode": p.crop_code,
            "clon": p.centroid.x,
            "clat": p.centroid.y,
            "url": parcel_page_url(p.dataset, p.pid),
        }
        for p in rows
    ]


def _in(datasets: QuerySet[ParcelDataset]) -> QuerySet[Parcel]:
    return Parcel.objects.filter(dataset__in=datasets)


def _newest_first(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    return parcels.order_by("-dataset__year", "dataset__aoi", "dataset__ptype", "pid")


def suggest(datasets: QuerySet[ParcelDataset], text: str, limit: int) -> list[dict[str, Any]]:
    """Parcels whose id starts with `text`, by id (the one that is `text` first), newest
    dataset first: what the search box offers as the inspector types.

    One query per dataset until `limit` are found, each an index range scan in byte order:
    on PostGIS the (dataset_id, (pid COLLATE "C")) index of this app's migration 0002 serves
    both the prefix and the order whatever the database's collation, so a one-letter prefix
    of a million ids costs as little as a whole id (bench/map.py measures it)."""
    found: list[dict[str, Any]] = []
    for dataset in datasets:
        if len(found) >= limit:
            break
        rows = Parcel.objects.filter(dataset=dataset)
        if connection.vendor == "postgresql":
            rows = rows.alias(pid_c=Collate("pid", "C")).filter(pid_c__startswith=text)
            rows = rows.order_by("pid_c")
        else:  # SQLite compares bytes (BINARY) already
            rows = rows.filter(pid__startswith=text).order_by("pid")
        found += _matches(rows, limit - len(found))
    return found


def find_by_pid(datasets: QuerySet[ParcelDataset], pid: str, limit: int) -> list[dict[str, Any]]:
    return _matches(_newest_first(_in(datasets).filter(pid=pid)), limit)


def find_by_point(
    datasets: QuerySet[ParcelDataset], lon: float, lat: float, limit: int
) -> list[dict[str, Any]]:
    point = Point(lon, lat, srid=4326)
    return _matches(_newest_first(_in(datasets).filter(geom__intersects=point)), limit)


def dataset_extent(dataset: ParcelDataset) -> tuple[float, float, float, float] | None:
    """The dataset's parcels' bounding box (lon/lat), cached per import: the map opens on it."""
    key = f"inspection:extent:{dataset.pk}:{dataset.imported_at.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = Parcel.objects.filter(dataset=dataset).aggregate(e=Extent("geom"))["e"]
        if found is None:
            return None
        cache.set(key, list(found), None)  # the key changes with a new import
    return (found[0], found[1], found[2], found[3])


# --- the map's parcels ----------------------------------------------------------------------
class SimplifyForView(GeoFunc):
    """An outline simplified for the screen: ST_SimplifyPreserveTopology on SpatiaLite;
    on PostGIS its own ST_Simplify with preserveCollapsed (no round trip through GEOS:
    a view's outlines in a quarter of the time, bench/map.py), which keeps a parcel smaller
    than the tolerance instead of dropping it. Drawing needs no topology kept."""

    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=4326)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "%(function)s(%(expressions)s, true)"
        return self.as_sql(compiler, connection, function="ST_Simplify", template=template, **extra)


@dataclass(frozen=True)
class MapView:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def pixel(self) -> float:
        """Degrees of longitude a screen pixel spans at this zoom (256 px tiles)."""
        return 360.0 / (256 * 2**self.zoom)

    @property
    def precision(self) -> int:
        """Decimals that keep a tenth of a pixel: fewer bytes, nothing visible lost."""
        return max(4, min(8, math.ceil(-math.log10(self.pixel / 10))))

    def polygon(self) -> Polygon:
        box = Polygon.from_bbox((self.west, self.south, self.east, self.north))
        box.srid = 4326
        return box


def _light_of(year: int, field: str) -> Subquery:
    # No ordering: the (parcel, year) row is one, and TrafficLight's default ordering
    # would join the parcel and its dataset to sort it, per row of the map.
    rows = TrafficLight.objects.filter(parcel=OuterRef("pk"), year=year).order_by()
    rows = rows.values(field)[:1]
    return Subquery(rows, output_field=CharField())


def map_features(
    dataset: ParcelDataset,
    view: MapView,
    *,
    lights: Sequence[str] = (),
    practice: str | None = None,
    limit: int,
) -> tuple[list[tuple[str, dict[str, Any]]], bool]:
    """The dataset's parcels in the view as (GeoJSON geometry text, properties) (outlines
    simplified to half a pixel, coordinates rounded to a tenth), each with its light and
    practice (none where the markers have not run), and whether more parcels than `limit`
    are in the view (then the first `limit` by id)."""
    rows = Parcel.objects.filter(dataset=dataset, geom__bboverlaps=view.polygon())
    rows = rows.annotate(
        light=_light_of(dataset.year, "light"),
        practice=_light_of(dataset.year, "practice"),
        reason=_light_of(dataset.year, "reason_code"),
    )
    if lights:
        wanted = Q(light__in=[v for v in lights if v != NO_LIGHT])
        if NO_LIGHT in lights:
            wanted |= Q(light__isnull=True)
        rows = rows.filter(wanted)
    if practice is not None:
        rows = rows.filter(practice=practice)
    shape = AsGeoJSON(SimplifyForView("geom", Value(view.pixel / 2)), precision=view.precision)
    picked = list(
        rows.annotate(shape=shape)
        .order_by("pid")
        .values_list("pid", "crop_name", "crop_code", "light", "practice", "reason", "shape")[
            : limit + 1
        ]
    )
    features = [
        (
            geometry,
            {
                "pid": pid,
                "cropname": crop,
                "cropcode": code,
                "light": light,
                "practice": pr,
                "reason": reason,
            },
        )  # fmt: skip
        for pid, crop, code, light, pr, reason, geometry in picked[:limit]
    ]
    return features, len(picked) > limit


# --- decisions ------------------------------------------------------------------------------
def decisions(parcel: Parcel, year: int) -> list[Decision]:
    """A parcel's decisions in the season, latest first."""
    return list(Decision.objects.filter(parcel=parcel, year=year).order_by("-decided_at", "-pk"))


def dataset_decisions(dataset: ParcelDataset) -> list[tuple[Decision, str, str | None]]:
    """Every decision on the dataset's parcels in its season (pid, then latest first), each
    with its parcel id and the parcel's light now."""
    rows = (
        Decision.objects.filter(parcel__dataset=dataset, year=dataset.year)
        .annotate(light_now=_light_of_decision(dataset.year))
        .order_by("pid", "-decided_at", "-pk")
    )
    return [(d, d.pid, d.light_now) for d in rows]


def _light_of_decision(year: int) -> Subquery:
    rows = TrafficLight.objects.filter(parcel=OuterRef("parcel_id"), year=year).order_by()
    return Subquery(rows.values("light")[:1], output_field=CharField())


def light_counts(dataset: ParcelDataset) -> dict[str, int]:
    """Parcels per light in the dataset's season; kept a minute (the start page lists every
    dataset, and a million lights take a second to count)."""
    key = f"inspection:lights:{dataset.pk}:{dataset.imported_at.timestamp()}"
    found = cache.get(key)
    if found is None:
        counts = (
            TrafficLight.objects.filter(parcel__dataset=dataset, year=dataset.year)
            .values("light")
            .annotate(n=Count("pk"))
            .order_by()
        )
        found = {row["light"]: row["n"] for row in counts}
        cache.set(key, found, 60)
    return dict(found)
