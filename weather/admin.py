"""The weather store in the admin: read-only (manage.py load_weather fills it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from weather.models import WeatherCell


@admin.register(WeatherCell)
class WeatherCellAdmin(admin.ModelAdmin):
    list_display = ("grid", "lon", "lat", "resolution")
    list_filter = ("grid",)
    readonly_fields = ("grid", "resolution", "lon", "lat", "geom")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
