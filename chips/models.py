"""The scene catalogue: one Scene per Sentinel-2 product, one Asset per band file."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC

from django.conf import settings
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


def new_dump_token() -> str:
    """An unguessable /dump/ token: 24 random bytes (192 bits), URL-safe."""
    return secrets.token_urlsafe(24)


class ClientCache(models.Model):
    """The chips one client (user and IP) holds for one chip square (lon, lat, chipsize),
    behind its own /dump/ token. One token per square keeps file names unique: the API
    names a chip `<product>.<band>.tif`, which two squares would otherwise share."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chip_caches"
    )
    ip = models.GenericIPAddressField()
    # "<lon>|<lat>|<chipsize>", lon/lat rounded to 1e-6 degree (about 0.1 m).
    square = models.CharField(max_length=64)
    token = models.CharField(max_length=64, unique=True, default=new_dump_token)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "ip", "created"]
        constraints = [
            # The cache look-up of a request: user = %s AND ip = %s AND square = %s.
            models.UniqueConstraint(fields=["user", "ip", "square"], name="clientcache_uniq"),
        ]
        # token is unique, hence indexed: it serves the /dump/<token>/<file> look-up.

    def __str__(self) -> str:
        return f"{self.user} @ {self.ip} [{self.square}]"


class CachedChip(models.Model):
    """One chip file a client holds: recorded only once the file is in place."""

    cache = models.ForeignKey(ClientCache, on_delete=models.CASCADE, related_name="chips")
    # ChipSpec.key: the content address of the file, shared by every client holding it.
    spec_key = models.CharField(max_length=40)
    file_name = models.CharField(max_length=200, help_text="<product>.<band>.tif")
    stored_path = models.CharField(max_length=300, help_text="relative to CHIP_STORE")
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="cached_chips")
    band = models.CharField(max_length=3)
    size_bytes = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cache", "file_name"]
        constraints = [
            # /dump/<token>/<file>: cache = %s AND file_name = %s; and no duplicate record.
            models.UniqueConstraint(fields=["cache", "file_name"], name="cachedchip_uniq"),
        ]
        indexes = [
            # The flush keeps a shared file while any record holds it: spec_key IN (...).
            models.Index(fields=["spec_key"], name="cachedchip_spec_idx"),
            # Flushing by age: created < %s.
            models.Index(fields=["created"], name="cachedchip_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cache.token[:6]}…/{self.file_name}"


class JobStatus(models.TextChoices):
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class ChipJob(models.Model):
    """The work of one request: its chips, cut by one task per scene, with progress.

    A request that asks for the same chips for the same client while a job runs joins it
    (one live job per `key`, enforced by the database), so reloads never start a second
    extraction. Web processes and workers all see it here.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # sha256 of kind, client token, refresh and the sorted chip keys of the request.
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=9, help_text="raw or composite")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chip_jobs"
    )
    cache = models.ForeignKey(ClientCache, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=7, choices=JobStatus.choices, default=JobStatus.RUNNING)
    # Chips of the request: done counts those cut, reused or failed so far.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The answer's entries in order: [[label, chip key, file name], ...].
    plan = models.JSONField(default=list)
    # {label: message} of chips whose scene could not be read.
    errors = models.JSONField(default=dict, blank=True)
    # What the job needs besides its plan (e.g. a composite's stretch).
    options = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Touched by every finished scene: a running job untouched for long lost its workers.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Joining: at most one running job per key (a partial unique index).
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status="running"),
                name="chipjob_live_key_uniq",
            ),
        ]
        indexes = [
            # Clean-up of finished jobs by age: created < %s.
            models.Index(fields=["created"], name="chipjob_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.id} ({self.status} {self.done}/{self.total})"
