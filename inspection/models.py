"""The inspector's decision on a parcel's traffic light: confirmed, overturned, or a field
visit needed, with a comment, who and when.

Decisions live apart from the detector's rows (markers.models): a re-run of the markers
replaces events and lights but never touches them. Each decision keeps the light (and the
detector and rules versions) it was made on, so a later run that changes the light is
flagged (`light_changed`), not silently taken as reviewed. Every decision is kept: the
latest per parcel and season is the current one, the others are its history.
"""

from __future__ import annotations

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

    # The (parcel, year, decided_at) index below serves the parcel's history.
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
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
            models.Index(fields=["parcel", "year", "-decided_at"], name="decision_parcel_year_idx")
        ]

    def __str__(self) -> str:
        return f"{self.parcel_id} {self.year}: {self.verdict} by {self.username}"
