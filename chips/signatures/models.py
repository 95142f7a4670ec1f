"""The signature store's rows (models of the chips app, imported by chips.models as the
catalogue's are): one per (parcel, scene, band), the statistics of the parcel's pixels.

A scene ingested again under a new baseline is another Scene row (another product id), so
its rows never mix with the old scene's.
"""

from __future__ import annotations

from django.contrib.gis.db import models

from chips.catalogue.models import Scene
from chips.catalogue.sar_models import SarScene
from parcels.models import Parcel, ParcelDataset


class StatColumns(models.Model):
    """The statistics columns of a signature row, Sentinel-2 and Sentinel-1 alike (the
    store writes both tables with the same COPY columns)."""

    # The scene's sensing time, copied so "one parcel's season" is one index range scan.
    sensing_time = models.DateTimeField()
    count = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    std = models.FloatField(null=True, help_text="population standard deviation")
    min = models.FloatField(null=True)
    p25 = models.FloatField(null=True)
    p50 = models.FloatField(null=True)
    p75 = models.FloatField(null=True)
    max = models.FloatField(null=True)
    # SCL: {"class": pixels} of the valid pixels.
    hist = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Signature(StatColumns):
    """The statistics of one parcel's valid pixels (centre inside, nodata excluded) in one
    band file. count 0: computed, no valid pixel (the answer leaves the date out). Class
    bands (SCL) carry count and hist only; the other statistics are null there."""

    # No separate FK index: the (parcel, sensing_time) index starts with parcel_id.
    # No database constraint on either key (db_constraint=False): PostgreSQL checks a
    # deferred foreign key row by row at commit, a third of a bulk task's database time
    # (docs/benchmarks-bulk.md). Deleting a parcel or a scene through Django still deletes
    # its rows (on_delete=CASCADE is Django's), and a bulk task's rows are committed with
    # its SignatureExtraction mark, whose keys are constrained: a task whose dataset or
    # scene was deleted meanwhile commits nothing. The rows are derived data, recomputed
    # from the archive at will.
    parcel = models.ForeignKey(
        Parcel, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed below ("one scene's parcels"), not by the FK itself.
    scene = models.ForeignKey(
        Scene,
        on_delete=models.CASCADE,
        related_name="signatures",
        db_index=False,
        db_constraint=False,
    )
    band = models.CharField(max_length=3)

    class Meta:
        ordering = ["parcel", "sensing_time", "band"]
        constraints = [
            # One row per parcel, scene and band: the bulk upsert's conflict target.
            models.UniqueConstraint(
                fields=["parcel", "scene", "band"], name="signature_parcel_scene_band_uniq"
            ),
        ]
        indexes = [
            # One parcel's season: parcel_id = %s AND sensing_time BETWEEN %s AND %s.
            models.Index(fields=["parcel", "sensing_time"], name="signature_parcel_time_idx"),
            # One scene's parcels (bulk extraction, its progress, deletes): scene_id = %s.
            models.Index(fields=["scene"], name="signature_scene_idx"),
        ]

    def __str__(self) -> str:
        return f"parcel {self.parcel_id} {self.scene_id}.{self.band}"


class SignatureExtraction(models.Model):
    """One scene's bulk extraction for a dataset, written once its rows are all recorded:
    what makes extract_signatures idempotent and resumable (a scene without this row is
    redone; its rows are upserts)."""

    dataset = models.ForeignKey(
        ParcelDataset, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="+")
    bands = models.JSONField(default=list, help_text="the bands asked (the scene's files of them)")
    parcels = models.PositiveIntegerField(help_text="parcels of the dataset the scene covers")
    rows = models.PositiveIntegerField(help_text="signature rows recorded")
    seconds = models.FloatField(help_text="time the task took")
    finished = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "scene"]
        constraints = [
            # Which scenes of a dataset are done: dataset_id = %s (the index's prefix).
            models.UniqueConstraint(fields=["dataset", "scene"], name="sigextract_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}/{self.scene_id}: {self.rows} rows"


class ExtractionProgress(ParcelDataset):
    """A parcel dataset as the admin shows its bulk extraction (a proxy: no table)."""

    class Meta:
        proxy = True
        verbose_name = "signature extraction"
        verbose_name_plural = "signature extraction per dataset"


class SarSignature(StatColumns):
    """The statistics of one parcel's valid pixels in one polarisation of a Sentinel-1
    product (linear values; nodata and NaN excluded): the rows of tstype bs and c6. Keys
    unconstrained in the database, as Signature's (derived data, recomputed at will)."""

    parcel = models.ForeignKey(
        Parcel, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    scene = models.ForeignKey(
        SarScene,
        on_delete=models.CASCADE,
        related_name="signatures",
        db_index=False,
        db_constraint=False,
    )
    band = models.CharField(max_length=2, help_text="the polarisation: VV or VH")

    class Meta:
        ordering = ["parcel", "sensing_time", "band"]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "scene", "band"], name="sarsig_parcel_scene_band_uniq"
            ),
        ]
        indexes = [
            # One parcel's season: parcel_id = %s AND sensing_time BETWEEN %s AND %s.
            models.Index(fields=["parcel", "sensing_time"], name="sarsig_parcel_time_idx"),
            models.Index(fields=["scene"], name="sarsig_scene_idx"),
        ]

    def __str__(self) -> str:
        return f"parcel {self.parcel_id} {self.scene_id}.{self.band}"


class SarExtraction(models.Model):
    """One Sentinel-1 product's bulk extraction for a dataset (as SignatureExtraction)."""

    dataset = models.ForeignKey(
        ParcelDataset, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scene = models.ForeignKey(SarScene, on_delete=models.CASCADE, related_name="+")
    bands = models.JSONField(default=list)
    parcels = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    seconds = models.FloatField()
    finished = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "scene"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "scene"], name="sarextract_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}/{self.scene_id}: {self.rows} rows"
