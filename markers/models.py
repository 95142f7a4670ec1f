"""Rules per dataset (crop codes -> practice, per practice the expected and forbidden events),
and the results: events and one traffic light per parcel and season. markers/detect makes
them; every row carries the detector's version (and the light the rules' version)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from parcels.models import Parcel, ParcelDataset

EVENTS = ("mowing", "harvest", "ploughing", "bare_soil", "emergence")
LIGHTS = ("green", "yellow", "red")
month_day = RegexValidator(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "MM-DD, e.g. 05-15")


class RuleSet(models.Model):
    """The rules of one parcel dataset (load_marker_rules writes them from a file)."""

    dataset = models.OneToOneField(ParcelDataset, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64, help_text="e.g. nl-2024 demo rules")
    version = models.CharField(max_length=32, help_text="bumped when the rules change")
    source = models.CharField(max_length=500, blank=True, help_text="file loaded from")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    def fingerprint(self, practices: Sequence[Practice] | None = None) -> str:
        """The version stored with each light: the name, the version and a hash of every
        rule, so an edit in the admin that forgets the version still counts as new rules.
        `practices`: this set's, by name, their rules prefetched (read here otherwise)."""
        if practices is None:
            practices = list(self.practices.order_by("name").prefetch_related("rules"))
        content = [
            (p.name, sorted(p.crop_codes),
             [r.as_tuple() for r in sorted(p.rules.all(), key=lambda r: r.pk)])
            for p in practices
        ]  # fmt: skip
        digest = hashlib.sha256(json.dumps(content).encode()).hexdigest()[:8]
        return f"{self.version}#{digest}"


class Practice(models.Model):
    """A farming practice and the declared crop codes that mean it."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="practices")
    name = models.CharField(max_length=32, help_text="grassland, winter_cereal, ...")
    crop_codes = models.JSONField(default=list, help_text='declared crop codes: ["265", ...]')

    class Meta:
        ordering = ["ruleset", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "name"], name="practice_ruleset_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class PracticeRule(models.Model):
    """One check of a practice: an event expected (count times at least) or forbidden
    between two days of the season's year."""

    class Kind(models.TextChoices):
        EXPECTED = "expected"
        FORBIDDEN = "forbidden"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=9, choices=Kind.choices)
    event = models.CharField(max_length=12, choices=[(e, e) for e in EVENTS])
    start = models.CharField(max_length=5, validators=[month_day], help_text="MM-DD")
    end = models.CharField(max_length=5, validators=[month_day], help_text="MM-DD")
    count = models.PositiveSmallIntegerField(default=1)
    confidence = models.FloatField(
        default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )

    class Meta:
        ordering = ["practice", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.event} {self.start}..{self.end}"

    def as_tuple(self) -> tuple[str, str, str, str, int, float]:
        return (self.kind, self.event, self.start, self.end, self.count, self.confidence)


class MarkerEvent(models.Model):
    """One detected event of a parcel in a season."""

    # (parcel, year) index below serves /query/markers and the recompute's delete.
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    marker = models.CharField(max_length=12, choices=[(e, e) for e in EVENTS])
    marker_type = models.CharField(max_length=5, help_text="S2, S1 or S1+S2")
    date_start = models.DateField()
    date_main = models.DateField()
    date_end = models.DateField()
    value_1 = models.FloatField(help_text="signal before")
    value_2 = models.FloatField(help_text="signal after")
    value_3 = models.FloatField(help_text="the change")
    signal = models.CharField(max_length=8, help_text="what value_* measure: NDVI, B11, VHc")
    confidence = models.FloatField()
    observations = models.PositiveIntegerField()
    detector = models.CharField(max_length=32)

    class Meta:
        ordering = ["parcel", "year", "date_main"]
        indexes = [models.Index(fields=["parcel", "year"], name="markerevent_parcel_year_idx")]

    def __str__(self) -> str:
        return f"{self.marker} {self.date_main}"


class TrafficLight(models.Model):
    """A parcel's light in a season, and what it was made from."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    practice = models.CharField(max_length=32, blank=True)
    light = models.CharField(max_length=6, choices=[(v, v) for v in LIGHTS])
    reason_code = models.CharField(max_length=20)
    reason = models.TextField()
    observability = models.FloatField(help_text="0..1: share of the season's 10-day periods seen")
    clear_observations = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    detector = models.CharField(max_length=32)
    rules = models.CharField(max_length=48, blank=True, help_text="the rules' fingerprint")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["parcel", "year"]
        constraints = [
            # One light per parcel and season; also extract_markers' "done" look-up.
            models.UniqueConstraint(fields=["parcel", "year"], name="trafficlight_parcel_year_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.parcel_id} {self.year}: {self.light}"


class LightSummary(ParcelDataset):
    """A parcel dataset as the admin shows its lights (a proxy: no table)."""

    class Meta:
        proxy = True
        verbose_name = "traffic lights of a dataset"
        verbose_name_plural = "traffic lights per dataset"
