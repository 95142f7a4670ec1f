"""Admin of the signature store: per parcel dataset, how far its bulk extraction has gone
(scenes extracted of the scenes over it, rows recorded), read-only."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest

from chips.catalogue.models import Level
from chips.models import ExtractionProgress, SignatureExtraction
from chips.signatures.bulk import dataset_scenes


@admin.register(ExtractionProgress)
class ExtractionProgressAdmin(admin.ModelAdmin):
    list_display = ("__str__", "parcel_count", "scenes", "extracted", "rows", "last")
    list_display_links = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExtractionProgress]:
        return super().get_queryset(request).order_by("aoi", "year", "ptype")

    @admin.display(description="L2A scenes over it (its year)")
    def scenes(self, obj: ExtractionProgress) -> int:
        year = obj.year
        return len(dataset_scenes(obj, level=Level.L2A, start=dt.date(year, 1, 1),
                                  end=dt.date(year, 12, 31)))  # fmt: skip

    @admin.display(description="scenes extracted")
    def extracted(self, obj: ExtractionProgress) -> int:
        return SignatureExtraction.objects.filter(dataset_id=obj.pk).count()

    @admin.display(description="rows recorded")
    def rows(self, obj: ExtractionProgress) -> int:
        marks = SignatureExtraction.objects.filter(dataset_id=obj.pk)
        return int(marks.aggregate(n=Sum("rows"))["n"] or 0)

    @admin.display(description="last extraction")
    def last(self, obj: ExtractionProgress) -> dt.datetime | None:
        marks = SignatureExtraction.objects.filter(dataset_id=obj.pk)
        last: dt.datetime | None = marks.aggregate(t=Max("finished"))["t"]
        return last

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
