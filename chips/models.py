"""The chips app's models: the catalogue (Scene, Asset: chips.catalogue.models), the
signature store (chips.signatures.models), the per-client chip caches with their records,
and chip jobs."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.gis.db import models

from chips.catalogue.models import Asset, CatalogueVersion, Level, Scene, SourceFormat
from chips.catalogue.sar_models import SarAsset, SarKind, SarScene
from chips.signatures.models import (
    ExtractionProgress,
    SarExtraction,
    SarSignature,
    Signature,
    SignatureExtraction,
)

__all__ = [
    "Asset",
    "CachedChip",
    "CatalogueVersion",
    "ChipJob",
    "ClientCache",
    "JobKind",
    "JobStatus",
    "Level",
    "SarAsset",
    "SarExtraction",
    "SarKind",
    "SarScene",
    "SarSignature",
    "Scene",
    "ExtractionProgress",
    "Signature",
    "SignatureExtraction",
    "SourceFormat",
    "new_dump_token",
]


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
    # The product the chip is cut from: a Sentinel-2 scene, or (S1 chips) a SarScene; a
    # background image (the background app) is a file of the store too, of no scene.
    scene = models.ForeignKey(
        Scene, on_delete=models.CASCADE, related_name="cached_chips", null=True, blank=True
    )
    sar_scene = models.ForeignKey(
        SarScene, on_delete=models.CASCADE, related_name="cached_chips", null=True, blank=True
    )
    band = models.CharField(max_length=3, blank=True)
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


class JobKind(models.TextChoices):
    """What a job's units make: raw chips, composites, signature rows, or a dataset's
    markers and lights (markers.work) (chips.work)."""

    RAW = "raw", "raw chips"
    COMPOSITE = "composite", "composites"
    SIGNATURES = "signatures", "signatures"
    MARKERS = "markers", "markers"


class ChipJob(models.Model):
    """One piece of work others may join (chips.work): a chip request's raw chips, a
    composite request's PNGs, or signature rows (a parcel's season, a dataset's scenes).

    Its units (a scene's band files, a scene's composite, a scene's statistics) each report
    their outcome; the last one closes it. A request asking for the same work while a job
    runs joins it (one live job per `key`, enforced by the database), so reloads never
    start a second extraction. Web processes and workers all see it here.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # sha256 of kind, client token (if any), refresh and the sorted keys of the work.
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    # The client the work is for (chip jobs); signature jobs fill a shared store: none.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chip_jobs",
        null=True,
        blank=True,
    )
    cache = models.ForeignKey(
        ClientCache, on_delete=models.CASCADE, related_name="jobs", null=True, blank=True
    )
    status = models.CharField(max_length=7, choices=JobStatus.choices, default=JobStatus.RUNNING)
    # Entries of the work: done counts those made, reused or failed so far.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The answer's entries in order: [[label, key, file name], ...] (chips.work.jobs.Entry).
    plan = models.JSONField(default=list)
    # {label: message} of entries that could not be made (their date is reported).
    errors = models.JSONField(default=dict, blank=True)
    # Why the job as a whole stopped (its workers were lost, its runner broke); "" if not.
    failure = models.TextField(blank=True, default="")
    # Keys whose unit reported (a unit redone after its worker died counts once), and
    # those made without a pixel (nothing to show).
    reported = models.JSONField(default=list, blank=True)
    empty = models.JSONField(default=list, blank=True)
    # A refresh makes every entry again; a composite job's stretch (Lut.to_param()).
    refresh = models.BooleanField(default=False)
    lut = models.CharField(max_length=100, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    # Touched by every finished unit: a running job untouched for long lost its workers.
    updated = models.DateTimeField(auto_now=True)
    # Who runs its work (chips.work.liveness): "proc:<host>:<boot id>:<pid>:<start>" for an
    # in-process job, "broker" for tasks on the broker; and when that owner last said so.
    owner = models.CharField(max_length=200, blank=True, default="")
    heartbeat = models.DateTimeField(null=True, blank=True)

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
