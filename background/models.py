"""Background imagery sources the operator configures (an agency's orthophoto, a national
WMS/WMTS, any XYZ tile service): what `tms` selects on the background endpoints."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"


class SourceKind(models.TextChoices):
    XYZ = "xyz", "XYZ tiles ({z}/{x}/{y} template)"
    WMS = "wms", "WMS GetMap"
    WMTS = "wmts", "WMTS (capabilities URL)"
    FILE = "file", "File: a COG or VRT orthophoto, local path or http(s) URL"


class BackgroundSource(models.Model):
    name = models.CharField(
        max_length=40,
        validators=[RegexValidator(NAME_PATTERN, "letters, digits, _ and - (at most 40)")],
        help_text="what tms= selects (case-insensitive); the file is named <name lower-cased>",
    )
    kind = models.CharField(max_length=8, choices=SourceKind.choices)
    url = models.CharField(
        max_length=2000,
        help_text="xyz: https://host/{z}/{x}/{y}.png; wms: the GetMap base URL; wmts: the "
        "GetCapabilities URL; file: a path or http(s) URL of a COG or VRT",
    )
    layer = models.CharField(max_length=200, blank=True, help_text="wms/wmts: the layer")
    style = models.CharField(max_length=200, blank=True, help_text="wms/wmts: the style")
    tile_matrix_set = models.CharField(
        max_length=200, blank=True, help_text="wmts: the tile matrix set (EPSG:3857 one)"
    )
    image_format = models.CharField(
        max_length=40, default="image/png", help_text="wms/wmts: image/png or image/jpeg"
    )
    max_zoom = models.PositiveSmallIntegerField(
        default=19, help_text="xyz/wms/wmts: the finest zoom level served (19: about 0.3 m)"
    )
    attribution = models.CharField(max_length=300, blank=True, help_text="shown with the image")
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="used when a request names no tms (one source at most)"
    )
    aois = models.CharField(
        max_length=300,
        blank=True,
        help_text="AOI codes whose users may use it, space-separated; empty: every user",
    )
    timeout = models.FloatField(default=10.0, help_text="seconds per HTTP request")
    retries = models.PositiveSmallIntegerField(default=1, help_text="retries of a failed request")
    max_fetches = models.PositiveSmallIntegerField(
        default=4, help_text="concurrent reads of this source per web process"
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="backgroundsource_name_ci_uniq"),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="backgroundsource_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The name as files and URLs carry it."""
        return self.name.lower()

    def aoi_list(self) -> set[str]:
        return {a.strip().lower() for a in self.aois.replace(",", " ").split() if a.strip()}
