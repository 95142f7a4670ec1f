"""Background sources in the admin."""

from __future__ import annotations

from django.contrib import admin

from background.models import BackgroundSource


@admin.register(BackgroundSource)
class BackgroundSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "is_default", "aois", "max_zoom", "attribution")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "url", "attribution")
    fieldsets = (
        (None, {"fields": ("name", "kind", "url", "attribution", "enabled", "is_default")}),
        ("Access", {"fields": ("aois",)}),
        ("WMS / WMTS", {"fields": ("layer", "style", "tile_matrix_set", "image_format")}),
        ("Reading", {"fields": ("max_zoom", "timeout", "retries", "max_fetches")}),
    )
