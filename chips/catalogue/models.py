"""The scene catalogue: one Scene per Sentinel-2 product, one Asset per band file.

Models of the chips app (label `chips`), imported by chips.models so Django finds them.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib.gis.db import models


class Level(models.TextChoices):
    L1C = "LEVEL1C", "Level-1C (top of atmosphere)"
    L2A = "LEVEL2A", "Level-2A (bottom of atmosphere)"


class SourceFormat(models.TextChoices):
    SAFE = "safe", "SAFE archive (JP2)"
    STAC = "stac", "STAC item (COG)"


class Scene(models.Model):
    """A Sentinel-2 product (one MGRS tile of one datatake), L1C or L2A."""

    # Without ".SAFE": S2A_MSIL2A_20190615T105031_N0212_R051_T31UFU_20190615T121337.
    # STAC items without a product URI keep their item id here.
    product_id = models.CharField(max_length=100, unique=True)
    mission = models.CharField(max_length=3, help_text="S2A, S2B or S2C")
    level = models.CharField(max_length=7, choices=Level.choices)
    tile = models.CharField(max_length=5, help_text="MGRS tile, e.g. 31UFU")
    relative_orbit = models.PositiveSmallIntegerField()
    # The datatake sensing start: the same for every tile of one overpass.
    sensing_time = models.DateTimeField()
    processing_baseline = models.CharField(max_length=5, help_text="e.g. 02.12, 05.09")
    generation_time = models.DateTimeField(null=True, blank=True)
    cloud_cover = models.FloatField(null=True, blank=True, help_text="percent")
    # Where the product has pixels (the data footprint, not the tile square), lon/lat.
    footprint = models.MultiPolygonField(srid=4326)
    epsg = models.PositiveIntegerField(help_text="native UTM CRS, e.g. 32631")
    # Added to DN before dividing by 10000 (L2A BOA_ADD_OFFSET / L1C RADIO_ADD_OFFSET,
    # -1000 from baseline 04.00 on); 0 where the product has none.
    radiometric_offset = models.IntegerField(default=0)
    source_format = models.CharField(max_length=4, choices=SourceFormat.choices)
    # The .SAFE folder or the STAC item file it was ingested from.
    source_href = models.CharField(max_length=1000)
    ingested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sensing_time", "tile"]
        indexes = [
            # Scene selection: level = %s AND sensing_time BETWEEN %s AND %s (then footprint).
            models.Index(fields=["level", "sensing_time"], name="scene_level_time_idx"),
            # Admin and catalogue look-ups per tile and date: tile = %s ORDER BY sensing_time.
            models.Index(fields=["tile", "sensing_time"], name="scene_tile_time_idx"),
        ]
        # The footprint's spatial index (GiST on PostGIS, R*Tree on SpatiaLite) is created
        # by the geometry field itself (spatial_index=True): it serves
        # footprint && chip square / ST_Intersects(footprint, chip square).

    def __str__(self) -> str:
        return self.product_id

    @property
    def sensing_key(self) -> str:
        """Sensing time as the API writes dates: 20190615T105031."""
        return self.sensing_time.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


class Asset(models.Model):
    """One band file of a scene: a local path, an https:// or an s3:// href."""

    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="assets")
    band = models.CharField(max_length=3, help_text="B01..B12, B8A or SCL")
    resolution = models.PositiveSmallIntegerField(help_text="metres: 10, 20 or 60")
    href = models.CharField(max_length=1000)
    # The file's pixel grid as its header says: [a, b, c, d, e, f, width, height] (the
    # affine, then the size). Chips are planned from it without opening the file; filled
    # the first time a request plans a chip on the asset (files never change under the
    # same href), null until then.
    grid = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["scene", "band"]
        constraints = [
            # One file per band: the chip extractor looks an asset up by (scene, band).
            models.UniqueConstraint(fields=["scene", "band"], name="asset_scene_band_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.scene.product_id}.{self.band}"


class CatalogueVersion(models.Model):
    """One row (id 1) whose number changes whenever a scene or a band file is added,
    removed or moved (database triggers, chips migration 0012: any writer, the admin's
    deletes and raw SQL included; learning a file's grid does not count). A process may
    keep what it read from the catalogue (chips.catalogue.memo) as long as the number is
    the one it read with. The new number is random, not the next one, so that a rolled-back
    change or a database made anew never brings an old number back."""

    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"catalogue version {self.version}"
