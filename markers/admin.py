"""Admin of the markers: the rules per dataset (practices and their rules inline), the
lights per dataset (counts per light, linked to the red and yellow parcels), and each
parcel's light with a link to its evidence page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from markers.models import LightSummary, Practice, PracticeRule, RuleSet, TrafficLight


class PracticeInline(admin.TabularInline):
    model = Practice
    extra = 0
    show_change_link = True


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("dataset", "name", "version", "fingerprint", "updated")
    inlines = [PracticeInline]


class PracticeRuleInline(admin.TabularInline):
    model = PracticeRule
    extra = 1


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "ruleset", "crop_codes")
    list_filter = ("ruleset",)
    inlines = [PracticeRuleInline]


def evidence_url(light: TrafficLight) -> str:
    d = light.parcel.dataset
    query = {"aoi": d.aoi, "year": light.year, "pid": light.parcel.pid}
    if d.ptype:
        query["ptype"] = d.ptype
    return f"{reverse('parcel-evidence')}?{urlencode(query)}"


@admin.register(TrafficLight)
class TrafficLightAdmin(admin.ModelAdmin):
    list_display = ("pid", "dataset", "practice", "light", "reason_code", "observability",
                    "clear_observations", "events", "evidence")  # fmt: skip
    list_filter = ("light", "reason_code", "practice", "parcel__dataset")
    search_fields = ("parcel__pid",)
    list_select_related = ("parcel", "parcel__dataset")

    @admin.display(ordering="parcel__pid")
    def pid(self, obj: TrafficLight) -> str:
        return obj.parcel.pid

    @admin.display(ordering="parcel__dataset")
    def dataset(self, obj: TrafficLight) -> str:
        return str(obj.parcel.dataset)

    @admin.display(description="evidence")
    def evidence(self, obj: TrafficLight) -> str:
        return format_html('<a href="{}">evidence</a>', evidence_url(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LightSummary)
class LightSummaryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "parcel_count", "lights")
    list_display_links = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[LightSummary]:
        return super().get_queryset(request).order_by("aoi", "year", "ptype")

    @admin.display(description="lights (the red and yellow link to their parcels)")
    def lights(self, obj: LightSummary) -> str:
        rows = TrafficLight.objects.filter(parcel__dataset_id=obj.pk, year=obj.year)
        base = reverse("admin:markers_trafficlight_changelist")
        parts = []
        for light in ("green", "yellow", "red"):
            n = rows.filter(light=light).count()
            query = urlencode({"light": light, "parcel__dataset__id__exact": obj.pk})
            parts.append((f"{base}?{query}", f"{n} {light}"))
        return format_html_join(" · ", '<a href="{}">{}</a>', parts)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
