"""Writes: importing a parcel dataset, granting AOIs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, transaction

from parcels import load
from parcels.models import AoiGrant, Parcel, ParcelDataset
from parcels.signals import dataset_imported

Progress = Callable[[int], object]  # told the parcels done so far; its result is ignored


class DatasetExists(Exception):
    """The dataset is already loaded and --replace was not given."""


@dataclass
class ImportReport:
    dataset: ParcelDataset
    features: int = 0
    imported: int = 0
    repaired: int = 0
    duplicate_pids: list[str] = field(default_factory=list)
    missing_pids: int = 0
    dropped_pids: list[str] = field(default_factory=list)


def aoi_grant(*, user: User, aoi: str) -> AoiGrant:
    """Let `user` see `aoi`'s parcels; granting twice is harmless."""
    grant, _ = AoiGrant.objects.get_or_create(user=user, aoi=aoi.lower())
    return grant


def parcels_import(
    *,
    path: str | Path,
    aoi: str,
    year: int,
    ptype: str = "",
    layer: str | None = None,
    pid_field: str | None = None,
    crop_name_field: str | None = None,
    crop_code_field: str | None = None,
    srid: int | None = None,
    attribution: str = "",
    replace: bool = False,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a parcel file as the dataset (aoi, year, ptype).

    Everything happens in one transaction: with `replace`, the old dataset is deleted and
    the new one written before the commit, so a reader sees the old set or the new one,
    never a mix or a half.
    """
    table = load.read_source(
        path,
        layer=layer,
        pid_field=pid_field,
        crop_name_field=crop_name_field,
        crop_code_field=crop_code_field,
        srid=srid,
    )
    if total:
        total(len(table))
    with transaction.atomic():
        old = ParcelDataset.objects.select_for_update().filter(aoi=aoi, year=year, ptype=ptype)
        if old.exists():
            if not replace:
                raise DatasetExists(f"dataset {aoi} {year} {ptype!r} exists; use --replace")
            # Django deletes the parcels and their signature rows (chips' Signature) too.
            old.delete()
        dataset = ParcelDataset.objects.create(
            aoi=aoi,
            year=year,
            ptype=ptype,
            srid=table.srid,
            source=Path(str(path)).name,
            attribution=attribution,
        )
        report = ImportReport(
            dataset=dataset,
            features=len(table) + len(table.duplicate_pids) + table.missing_pids,
            duplicate_pids=table.duplicate_pids,
            missing_pids=table.missing_pids,
        )
        write = _copy_postgis if connection.vendor == "postgresql" else _bulk_create
        write(dataset, load.chunks(table), report, progress)
        dataset.parcel_count = report.imported
        dataset.save(update_fields=["parcel_count"])
        # In the transaction: what the apps above keep by pid (decisions) is re-attached
        # in the same commit as the new parcels, or not at all.
        dataset_imported.send(sender=ParcelDataset, dataset=dataset)
    return report


def _account(report: ImportReport, chunk: load.ParcelChunk) -> None:
    report.imported += len(chunk)
    report.repaired += chunk.repaired
    report.dropped_pids += chunk.dropped


def _copy_postgis(
    dataset: ParcelDataset,
    chunks: Iterable[load.ParcelChunk],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Binary COPY straight into the parcel table, inside the caller's transaction.

    In binary COPY the server reads each value with its column type's receive function,
    and PostGIS's geometry_recv takes EWKB: so geometries are sent as raw EWKB bytes
    (labelled bytea for psycopg), with no hex or text parsing on either side.
    """
    table = Parcel._meta.db_table
    columns = "dataset_id, pid, crop_name, crop_code, area, centroid, geom, geom_native"
    types = ["int8", "text", "text", "text", "int8", "bytea", "bytea", "bytea"]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"  # noqa: S608 - model names
        ) as copy,
    ):
        copy.set_types(types)
        for chunk in chunks:
            centroids = load.ewkb_points(chunk.centroids, 4326)
            geoms = load.ewkb_multipolygons(chunk.geoms_wgs84, 4326)
            natives = shapely.to_wkb(chunk.geoms_native)
            for row in zip(
                chunk.pids,
                chunk.crop_names,
                chunk.crop_codes,
                chunk.areas.tolist(),
                centroids,
                geoms,
                natives,
                strict=True,
            ):
                copy.write_row((dataset.pk, *row))
            _account(report, chunk)
            if progress:
                progress(len(chunk) + len(chunk.dropped))


def _bulk_create(
    dataset: ParcelDataset,
    chunks: Iterable[load.ParcelChunk],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """SpatiaLite (the demo): Django's bulk_create, slower but portable."""
    for chunk in chunks:
        geoms = shapely.to_wkb(chunk.geoms_wgs84)
        natives = shapely.to_wkb(chunk.geoms_native)
        parcels = [
            Parcel(
                dataset=dataset,
                pid=pid,
                crop_name=name,
                crop_code=code,
                area=area,
                centroid=Point(lon, lat, srid=4326),
                geom=_multipolygon(geom),
                geom_native=native,
            )
            for pid, name, code, area, (lon, lat), geom, native in zip(
                chunk.pids,
                chunk.crop_names,
                chunk.crop_codes,
                chunk.areas.tolist(),
                chunk.centroids.tolist(),
                geoms,
                natives,
                strict=True,
            )
        ]
        Parcel.objects.bulk_create(parcels, batch_size=500)
        _account(report, chunk)
        if progress:
            progress(len(chunk) + len(chunk.dropped))


def _multipolygon(wkb: bytes) -> MultiPolygon:
    geom = GEOSGeometry(memoryview(wkb), srid=4326)
    assert isinstance(geom, MultiPolygon)
    return geom
