"""The inspectors' decisions in the admin: read-only (the review list records them), with the
light each was made on beside the light now."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from inspection.models import Decision
from markers.models import TrafficLight


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("parcel_pid", "dataset", "year", "verdict", "username", "decided_at",
                    "light", "light_now", "light_changed", "parcel_changed")  # fmt: skip
    list_filter = ("verdict", "light", "parcel_changed", "aoi", "year")
    search_fields = ("pid", "username", "comment")
    date_hierarchy = "decided_at"
    readonly_fields = ("parcel", "aoi", "year", "ptype", "pid", "parcel_changed", "verdict",
                       "comment", "user", "username", "decided_at", "light", "reason_code",
                       "detector", "rules")  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        now = TrafficLight.objects.filter(parcel=OuterRef("parcel_id"), year=OuterRef("year"))
        now = now.order_by()  # one row; the default ordering would join to sort it
        light_now = Subquery(now.values("light")[:1], output_field=CharField())
        return super().get_queryset(request).annotate(current_light=light_now)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # decisions are made on the review list, against the light shown there

    @admin.display(description="parcel", ordering="pid")
    def parcel_pid(self, obj: Decision) -> str:
        # A pid the last import no longer holds keeps its decisions, detached.
        return obj.pid if obj.parcel_id else f"{obj.pid} (not in the dataset now)"

    @admin.display(description="dataset")
    def dataset(self, obj: Decision) -> str:
        return f"{obj.aoi} {obj.year}" + (f" {obj.ptype}" if obj.ptype else "")

    @admin.display(description="light now")
    def light_now(self, obj: Decision) -> str:
        return getattr(obj, "current_light", None) or "none"

    @admin.display(description="changed since", boolean=True)
    def light_changed(self, obj: Decision) -> bool:
        return (getattr(obj, "current_light", None) or "") != obj.light
