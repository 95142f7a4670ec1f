"""Reads: datasets and parcels by validated values (a DatasetKey, a pid...), with the AOI
check first."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.contrib.gis.measure import D
from django.core.cache import cache
from django.db.models import Exists, F, QuerySet

from common.errors import NotFound
from parcels.access import check_aoi, user_aois
from parcels.models import AoiGrant, Parcel, ParcelDataset
from parcels.params import DatasetKey, ParcelParams

User = AuthUser | AnonymousUser
COLUMNS = ("pid", "cropname", "cropcode", "srid", "area", "clon", "clat")
# Metres per degree of latitude, at its smallest (the equator): bounding boxes in degrees
# built from it are never too small.
METRES_PER_DEGREE = 110_574.0


def dataset_get(*, user: User, key: DatasetKey) -> ParcelDataset:
    """The dataset, after the AOI check (403 before any look-up); NotFound if unknown."""
    check_aoi(user, key.aoi)
    try:
        return ParcelDataset.objects.get(aoi=key.aoi, year=key.year, ptype=key.ptype)
    except ParcelDataset.DoesNotExist:
        raise _no_dataset(key) from None


def _no_dataset(key: DatasetKey) -> NotFound:
    """404 naming what to change: the year (with the AOI's years) where the AOI has
    datasets, else the AOI. Said only after the AOI check: the years are the caller's."""
    ptype = f" ptype {key.ptype!r}" if key.ptype else ""
    message = f"no parcel dataset for aoi {key.aoi!r} year {key.year}{ptype}"
    found = ParcelDataset.objects.filter(aoi=key.aoi).values_list("year", "ptype")
    years = sorted({year for year, p in found if p == key.ptype})
    if years:
        return NotFound(message, param="year", choices=years)
    if found:  # the AOI has datasets, none of this parcel type
        return NotFound(message, param="ptype", choices=sorted({p for _, p in found}))
    return NotFound(message, param="aoi")


def granted_parcels(*, user: User, key: DatasetKey) -> QuerySet[Parcel]:
    """The parcels of dataset `key` if `user` may see its AOI, as one query.

    The AOI grant and the dataset are joined into the parcel query, so a request that finds
    its parcel costs one query instead of three (grants, dataset, parcels). The rows carry
    the dataset's SRID as `dataset_srid`. No rows means: no access, no such dataset, or no
    such parcel; callers then ask `dataset_get`, which answers 403 before 404 as before, so
    the answer never depends on whether the parcel exists.
    """
    if not user.is_authenticated:
        return Parcel.objects.none()
    rows = Parcel.objects.filter(
        dataset__aoi=key.aoi, dataset__year=key.year, dataset__ptype=key.ptype
    ).annotate(dataset_srid=F("dataset__srid"))
    if not (user.is_staff or user.is_superuser):
        # Not correlated with the parcel row: PostgreSQL runs it once, before the scan
        # (a one-time filter), so a refused AOI never touches the parcel index.
        rows = rows.filter(Exists(AoiGrant.objects.filter(user_id=user.pk, aoi=key.aoi)))
    return rows


def parcel_get(*, user: User, key: DatasetKey, pid: str) -> Parcel:
    """The parcel `pid` of dataset `key`: Forbidden or NotFound when it is not the caller's
    to see or not there. One query when the parcel exists (grant, dataset, parcel joined)."""
    parcel = (
        granted_parcels(user=user, key=key)
        .filter(pid=pid)
        .select_related("dataset")
        .order_by()
        .first()
    )
    if parcel is None:
        dataset = dataset_get(user=user, key=key)  # 403 or 404 for the dataset, else:
        raise NotFound(f"no parcel {pid!r} in {dataset}", param="pid")
    return parcel


def parcel_from_params(*, user: User, params: Mapping[str, str]) -> Parcel:
    """The parcel named by raw parameters aoi, year, pid[, ptype] (the shell, tests),
    validated as the API validates them: BadParameter, then as `parcel_get`."""
    values = ParcelParams.validated(params)
    return parcel_get(user=user, key=values["dataset"], pid=values["pid"])


def parcels_by_location(*, user: User, key: DatasetKey, lon: float, lat: float) -> QuerySet[Parcel]:
    point = Point(lon, lat, srid=4326)
    return granted_parcels(user=user, key=key).filter(geom__intersects=point).order_by("pid")


def parcels_by_id(*, user: User, key: DatasetKey, pid: str) -> QuerySet[Parcel]:
    # (dataset, pid) is unique: one row at most, nothing to order.
    return granted_parcels(user=user, key=key).filter(pid=pid).order_by()


def parcels_by_polygon(
    *, dataset: ParcelDataset, polygon: GEOSGeometry, limit: int
) -> QuerySet[Parcel]:
    return Parcel.objects.filter(dataset=dataset, geom__intersects=polygon).order_by("pid")[:limit]


def parcel_peers(*, parcel: Parcel, distance: float, limit: int) -> list[tuple[str, float]]:
    """Parcels of the same crop within `distance` metres, nearest first (outline to outline).

    Same crop: the same crop code where the dataset has codes, else the same crop name.
    Distances are on the spheroid (metres, whatever the dataset's CRS); a bounding box in
    degrees, never smaller than the distance, lets the spatial index cut the candidates.
    """
    xmin, ymin, xmax, ymax = parcel.geom.extent
    dlat = distance / METRES_PER_DEGREE * 1.01
    coslat = math.cos(math.radians(min(89.0, max(abs(ymin), abs(ymax)) + dlat)))
    dlon = dlat / coslat
    box = Polygon.from_bbox((xmin - dlon, ymin - dlat, xmax + dlon, ymax + dlat))
    box.srid = 4326
    same_crop = {"crop_code": parcel.crop_code} if parcel.crop_code else {}
    if not same_crop:
        same_crop = {"crop_name": parcel.crop_name}
    rows = (
        Parcel.objects.filter(dataset_id=parcel.dataset_id, geom__bboverlaps=box, **same_crop)
        .exclude(pk=parcel.pk)
        .annotate(distance=Distance("geom", parcel.geom, spheroid=True))
        .filter(distance__lte=D(m=distance))
        .order_by("distance", "pid")
        .values_list("pid", "distance")[:limit]
    )
    return [(pid, float(dist.m)) for pid, dist in rows]


def parcel_columns(
    parcels: Iterable[Parcel], *, srid: int, with_geometry: bool, wgs84: bool
) -> dict[str, list[Any]]:
    """The columnar answer: one list per column; `geom` a GeoJSON geometry string.

    `srid` is the dataset's (the native geometry's) SRID.
    """
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    if with_geometry:
        columns["geom"] = []
    for parcel in parcels:
        columns["pid"].append(parcel.pid)
        columns["cropname"].append(parcel.crop_name)
        columns["cropcode"].append(parcel.crop_code)
        columns["srid"].append(srid)
        columns["area"].append(parcel.area)
        columns["clon"].append(parcel.centroid.x)
        columns["clat"].append(parcel.centroid.y)
        if with_geometry:
            geom = (
                parcel.geom
                if wgs84
                else GEOSGeometry(memoryview(bytes(parcel.geom_native)), srid=srid)
            )
            columns["geom"].append(geom.json)
    return columns


def parcel_fields(*, with_geometry: bool, wgs84: bool) -> list[str]:
    """The columns a columnar answer needs: the geometries only when asked for."""
    fields = ["pid", "crop_name", "crop_code", "area", "centroid"]
    if with_geometry:
        fields.append("geom" if wgs84 else "geom_native")
    return fields


def dataset_extent(dataset: ParcelDataset) -> list[float] | None:
    """The dataset's bounding box [west, south, east, north] in lon/lat, None when it has
    no parcel. Computed once per import (a scan of the dataset's parcels) and kept in the
    cache under the import's time: a re-import gives a new key."""
    key = f"parcels:extent:{dataset.pk}:{dataset.imported_at.timestamp()}"
    cached = cache.get(key)
    if cached is not None:
        return list(cached) if cached else None
    box = Parcel.objects.filter(dataset=dataset).aggregate(box=Extent("geom"))["box"]
    extent = [round(v, 6) for v in box] if box else []
    cache.set(key, extent, EXTENT_CACHE_SECONDS)
    return extent or None


EXTENT_CACHE_SECONDS = 7 * 24 * 3600


def aois_info(*, user: User, examples: int = 3) -> dict[str, Any]:
    """Per AOI the caller may see: years, datasets (with their extent) and a few parcel
    ids to try."""
    aois = user_aois(user)
    datasets = ParcelDataset.objects.all()
    if aois is not None:
        datasets = datasets.filter(aoi__in=aois)
    answer: dict[str, Any] = {}
    for dataset in datasets:
        entry = answer.setdefault(dataset.aoi, {"years": [], "datasets": {}})
        if dataset.year not in entry["years"]:
            entry["years"].append(dataset.year)
        entry["datasets"][dataset.season_label] = {
            "extent": dataset_extent(dataset),
            "year": dataset.year,
            "ptype": dataset.ptype,
            "srid": dataset.srid,
            "parcels": dataset.parcel_count,
            "source": dataset.source,
            "attribution": dataset.attribution,
            "imported": dataset.imported_at.isoformat(),
        }
        entry[f"id_examples_{dataset.season_label}"] = list(
            Parcel.objects.filter(dataset=dataset)
            .order_by("pid")
            .values_list("pid", flat=True)[:examples]
        )
    return answer
