"""Admin for the scene catalogue: scenes are browsed and searched here, added by ingest.

No map widget: GeoDjango's OpenLayers widget loads its code from a CDN, which the
service must not depend on; the footprint is shown as its bounds, area and WKT.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from chips import (
    admin_cache,  # noqa: F401 - registers the chip cache admin
    admin_signatures,  # noqa: F401 - registers the extraction progress admin
)
from chips.models import Asset, SarAsset, SarScene, Scene


class ReadOnlyInline(admin.TabularInline):
    """A product's band files as the catalogue recorded them: shown, never edited here
    (ingest writes them; delete the product to ingest it again)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AssetInline(ReadOnlyInline):
    model = Asset
    fields = ("band", "resolution", "href")
    readonly_fields = fields


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = (
        "product_id",
        "level",
        "tile",
        "relative_orbit",
        "sensing_time",
        "cloud_cover",
        "processing_baseline",
    )
    search_fields = ("product_id", "tile")
    list_filter = ("level", "mission", "tile", "source_format")
    date_hierarchy = "sensing_time"
    inlines = [AssetInline]
    fields = (
        "product_id",
        ("mission", "level", "tile", "relative_orbit"),
        ("sensing_time", "generation_time", "processing_baseline"),
        ("cloud_cover", "epsg", "radiometric_offset"),
        "footprint_summary",
        ("source_format", "source_href"),
        "ingested_at",
    )
    readonly_fields = tuple(
        name for row in fields for name in (row if isinstance(row, tuple) else (row,))
    )

    # The catalogue is written by `manage.py ingest_safe` / `ingest_stac`; here it is
    # read, and a scene may be deleted (with its assets) to be ingested again.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Scene | None = None) -> bool:
        return False

    @admin.display(description="footprint (lon/lat)")
    def footprint_summary(self, scene: Scene) -> str:
        west, south, east, north = scene.footprint.extent
        bounds = f"W {west:.4f} S {south:.4f} E {east:.4f} N {north:.4f}"
        return format_html(
            "{} part(s), bounds {}<br><code>{}</code>",
            len(scene.footprint),
            bounds,
            scene.footprint.wkt,
        )


class SarAssetInline(ReadOnlyInline):
    model = SarAsset
    fields = ("polarisation", "band_index", "href")
    readonly_fields = fields


@admin.register(SarScene)
class SarSceneAdmin(admin.ModelAdmin):
    """The Sentinel-1 catalogue (`manage.py ingest_s1`): read, and deletable to re-ingest."""

    list_display = ("product_id", "kind", "orbit_direction", "relative_orbit", "sensing_time",
                    "coefficient", "source_format")  # fmt: skip
    search_fields = ("product_id",)
    list_filter = ("kind", "platform", "orbit_direction", "relative_orbit", "source_format")
    date_hierarchy = "sensing_time"
    inlines = [SarAssetInline]
    fields = (
        "product_id",
        ("kind", "platform", "coefficient"),
        ("sensing_time", "second_time"),
        ("orbit_direction", "direction_source", "relative_orbit", "absolute_orbit"),
        ("epsg", "nodata"),
        ("source_format", "source_href"),
        "ingested_at",
    )
    readonly_fields = tuple(
        name for row in fields for name in (row if isinstance(row, tuple) else (row,))
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SarScene | None = None) -> bool:
        return False
