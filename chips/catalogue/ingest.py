"""Catalogue ingest: upsert source records into Scene and Asset, one transaction per product.

Idempotent by product_id: a product already in the catalogue is left as it is, whichever
source (SAFE or STAC) it came from first, so a second run over the same archive adds
nothing. To re-read a product, delete its scene (admin) and ingest again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.contrib.gis.geos.error import GEOSException
from django.db import DataError, IntegrityError, transaction

from chips.catalogue.models import Asset, Scene
from chips.catalogue.sources.records import ProductError, SceneRecord


class Outcome(enum.StrEnum):
    ADDED = "added"
    PRESENT = "present"


def record_footprint(wkt: str) -> MultiPolygon:
    """A source record's footprint (lon/lat WKT), which must be a MultiPolygon."""
    footprint = GEOSGeometry(wkt, srid=4326)
    if not isinstance(footprint, MultiPolygon):
        raise ProductError(f"footprint is a {footprint.geom_type}, not a MultiPolygon")
    return footprint


def scene_ingest(*, record: SceneRecord) -> Outcome:
    """Add one product with its assets, or leave the existing one alone."""
    if Scene.objects.filter(product_id=record.product_id).exists():
        return Outcome.PRESENT
    footprint = record_footprint(record.footprint_wkt)
    try:
        with transaction.atomic():
            scene = Scene.objects.create(
                product_id=record.product_id,
                mission=record.mission,
                level=record.level,
                tile=record.tile,
                relative_orbit=record.relative_orbit,
                sensing_time=record.sensing_time,
                processing_baseline=record.processing_baseline,
                generation_time=record.generation_time,
                cloud_cover=record.cloud_cover,
                footprint=footprint,
                epsg=record.epsg,
                radiometric_offset=record.radiometric_offset,
                source_format=record.source_format,
                source_href=record.source_href,
            )
            Asset.objects.bulk_create(
                Asset(scene=scene, band=a.band, resolution=a.resolution, href=a.href)
                for a in record.assets
            )
    except IntegrityError:
        # Another ingest added the same product between our check and our insert.
        if Scene.objects.filter(product_id=record.product_id).exists():
            return Outcome.PRESENT
        raise
    return Outcome.ADDED


@dataclass
class IngestSummary:
    found: int = 0
    added: int = 0
    present: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)  # (product, reason)

    @property
    def read_any(self) -> bool:
        return self.added + self.present > 0

    def line(self) -> str:
        return (
            f"{self.found} found, {self.added} added, {self.present} already present, "
            f"{len(self.broken)} broken"
        )


# A product to ingest: its label for the report, and how to read it (may raise ProductError).
Candidate = tuple[str, Callable[[], Any]]


def products_ingest(
    *,
    candidates: Iterable[Candidate],
    on_broken: Callable[[str, str], None] | None = None,
    ingest: Callable[..., Outcome] = scene_ingest,
) -> IngestSummary:
    """Read and add every product (`ingest`: a Sentinel-2 scene's, or a Sentinel-1
    product's, chips.catalogue.sar_ingest); a broken one is reported and skipped."""
    summary = IngestSummary()
    for label, read in candidates:
        summary.found += 1
        try:
            outcome = ingest(record=read())
        except (ProductError, DataError, GEOSException) as exc:
            # DataError: a value the catalogue cannot hold (e.g. an over-long id).
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            summary.broken.append((label, reason))
            if on_broken is not None:
                on_broken(label, reason)
            continue
        if outcome is Outcome.ADDED:
            summary.added += 1
        else:
            summary.present += 1
    return summary
