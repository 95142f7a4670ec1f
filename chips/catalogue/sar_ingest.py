"""Sentinel-1 ingest: upsert SarRecords into SarScene and SarAsset, one transaction per
product, idempotent by product id (as chips.catalogue.ingest for Sentinel-2)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from chips.catalogue.ingest import Outcome, record_footprint
from chips.catalogue.sar_models import SarAsset, SarScene
from chips.catalogue.sources.s1_records import SarRecord


def sar_ingest(*, record: SarRecord) -> Outcome:
    """Add one product with its band files, or leave the existing one alone."""
    if SarScene.objects.filter(product_id=record.product_id).exists():
        return Outcome.PRESENT
    footprint = record_footprint(record.footprint_wkt)
    try:
        with transaction.atomic():
            scene = SarScene.objects.create(
                product_id=record.product_id,
                kind=record.kind,
                platform=record.platform,
                sensing_time=record.sensing_time,
                second_time=record.second_time,
                orbit_direction=record.orbit_direction,
                direction_source=record.direction_source,
                relative_orbit=record.relative_orbit,
                absolute_orbit=record.absolute_orbit,
                footprint=footprint,
                epsg=record.epsg,
                coefficient=record.coefficient,
                nodata=record.nodata,
                source_format=record.source_format,
                source_href=record.source_href,
            )
            SarAsset.objects.bulk_create(
                SarAsset(scene=scene, polarisation=a.polarisation, href=a.href,
                         band_index=a.band_index)
                for a in record.assets
            )  # fmt: skip
    except IntegrityError:
        if SarScene.objects.filter(product_id=record.product_id).exists():
            return Outcome.PRESENT
        raise
    return Outcome.ADDED
