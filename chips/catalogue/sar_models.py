"""The Sentinel-1 catalogue: one SarScene per product (CARD-BS backscatter or CARD-COH6
coherence), one SarAsset per polarisation's band file.

Beside the Sentinel-2 Scene, not inside it: a radar product has no tile, baseline nor cloud
cover, and has what an optical one lacks (orbit direction, a coefficient, a second date for
coherence, a source nodata that may be 0, -32768 or NaN). Models of the chips app.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib.gis.db import models


class SarKind(models.TextChoices):
    BS = "CARD-BS", "backscatter (CARD-BS)"
    COH6 = "CARD-COH6", "6-day coherence (CARD-COH6)"


class OrbitDirection(models.TextChoices):
    ASCENDING = "ASCENDING", "ascending"
    DESCENDING = "DESCENDING", "descending"


class DirectionSource(models.TextChoices):
    """Where the orbit direction came from (docs/sentinel1.md: the fallback)."""

    METADATA = "metadata", "the product's metadata"
    SOLAR_TIME = "solar time", "local solar time of the acquisition"


class Coefficient(models.TextChoices):
    GAMMA0 = "gamma0", "gamma nought"
    SIGMA0 = "sigma0", "sigma nought"
    COHERENCE = "coherence", "interferometric coherence"


class SarScene(models.Model):
    """A Sentinel-1 product as the catalogue keeps it."""

    # The source's name: the GRD name plus _CARD_BS (JRC), the PC item id (..._rtc), ...
    product_id = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=9, choices=SarKind.choices)
    platform = models.CharField(max_length=3, help_text="S1A, S1B or S1C")
    # The sensing start; for coherence the first date of the pair, `second_time` the other.
    sensing_time = models.DateTimeField()
    second_time = models.DateTimeField(null=True, blank=True)
    orbit_direction = models.CharField(max_length=10, choices=OrbitDirection.choices)
    direction_source = models.CharField(
        max_length=10, choices=DirectionSource.choices, default=DirectionSource.METADATA
    )
    relative_orbit = models.PositiveSmallIntegerField()
    absolute_orbit = models.PositiveIntegerField(null=True, blank=True)
    footprint = models.MultiPolygonField(srid=4326)
    epsg = models.PositiveIntegerField(help_text="the band files' CRS, e.g. 32631")
    coefficient = models.CharField(max_length=9, choices=Coefficient.choices)
    # The band files' nodata value; null: NaN (NaN is never a valid value either way).
    nodata = models.FloatField(null=True, blank=True)
    source_format = models.CharField(max_length=4, help_text="stac or card")
    source_href = models.CharField(max_length=1000)
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sensing_time", "product_id"]
        indexes = [
            # Selection: kind = %s AND sensing_time BETWEEN %s AND %s (then footprint).
            models.Index(fields=["kind", "sensing_time"], name="sarscene_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return self.product_id

    @property
    def mission(self) -> str:
        """The satellite, as Sentinel-2 scenes name theirs (the pages label chips by it)."""
        return self.platform

    @property
    def sensing_key(self) -> str:
        """The sensing start as the API writes dates: 20190614T055753."""
        return self.sensing_time.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


class SarAsset(models.Model):
    """One polarisation's band file: a file per polarisation (CARD-BS, PC) or one band of
    a two-band file (CARD-COH6), `band_index` saying which (found from the descriptions)."""

    scene = models.ForeignKey(SarScene, on_delete=models.CASCADE, related_name="assets")
    polarisation = models.CharField(max_length=2, help_text="VV, VH, HH or HV")
    href = models.CharField(max_length=1000)
    band_index = models.PositiveSmallIntegerField(default=1, help_text="1-based")
    # [a, b, c, d, e, f, width, height], learnt on first use (as Asset.grid).
    grid = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["scene", "polarisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["scene", "polarisation"], name="sarasset_scene_pol_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scene.product_id}.{self.polarisation}"
