"""The inspector's decision on a parcel's traffic light: confirmed, overturned, or a field
visit needed, with a comment, who and when.

Decisions live apart from the detector's rows (markers.models): a re-run of the markers
replaces events and lights but never touches them. Each decision keeps the light (and the
detector and rules versions) it was made on, so a later run that changes the light is
flagged (`light_changed`), not silently taken as reviewed. Every decision is kept: the
latest per parcel and season is the current one, the others are its history.

Decisions outlive their parcel row: `import_parcels --replace` deletes the dataset and writes
it anew, so a decision is also keyed by what names the parcel across imports (aoi, year,
ptype, pid). The delete leaves its parcel null; the import re-attaches it to the new parcel of
the same pid (inspection.services.reattach_decisions) and flags it when that parcel's crop or
geometry differ from the one decided on (`parcel_changed`). A pid the new file no longer
holds keeps its decisions, detached (parcel null), in the admin.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from markers.models import LIGHTS
from parcels.models import Parcel


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "confirmed"
    OVERTURNED = "overturned", "overturned"
    FIELD_VISIT = "field_visit", "field visit needed"


class Decision(models.Model):
    """One decision of an inspector on a parcel's light in a season."""

    # The (parcel, year, decided_at) index below serves the parcel's history. Null between
    # a re-import's delete and its re-attachment, or when the new file lost the pid.
    parcel = models.ForeignKey(
        Parcel, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    # The parcel's name across imports (its dataset's aoi and ptype, its pid) and what it
    # was when decided on (crop code and geometry digest, parcel_digest): set on save.
    aoi = models.CharField(max_length=16, blank=True)
    ptype = models.CharField(max_length=16, blank=True)
    pid = models.CharField(max_length=64, blank=True)
    parcel_digest = models.CharField(max_length=64, blank=True)
    parcel_changed = models.BooleanField(
        default=False, help_text="a re-import changed the parcel's crop or geometry since"
    )
    verdict = models.CharField(max_length=11, choices=Verdict.choices)
    comment = models.TextField(blank=True, max_length=2000)
    # Who: the account, and its name as it was (the name stays if the account goes).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now)
    # What it was made on: the light as the inspector saw it, and who made that light.
    light = models.CharField(max_length=6, choices=[(v, v) for v in LIGHTS])
    reason_code = models.CharField(max_length=20, blank=True)
    detector = models.CharField(max_length=32, blank=True)
    rules = models.CharField(max_length=48, blank=True)

    class Meta:
        ordering = ["parcel", "year", "-decided_at"]
        indexes = [
            models.Index(fields=["parcel", "year", "-decided_at"], name="decision_parcel_year_idx"),
            models.Index(fields=["aoi", "year", "ptype", "pid"], name="decision_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.aoi} {self.year} {self.pid}: {self.verdict} by {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.parcel is not None and not self.pid:
            dataset = self.parcel.dataset
            self.aoi, self.ptype, self.pid = dataset.aoi, dataset.ptype, self.parcel.pid
            self.parcel_digest = parcel_digest(self.parcel)
        super().save(*args, **kwargs)


def parcel_digest(parcel: Parcel) -> str:
    """What a decision was made on, to tell a re-imported parcel that changed: its crop code
    and its geometry as the file gave it (WKB in the dataset's SRID; the same file gives the
    same bytes)."""
    digest = hashlib.sha256(parcel.crop_code.encode())
    digest.update(b"\0")
    digest.update(bytes(parcel.geom_native))
    return digest.hexdigest()
