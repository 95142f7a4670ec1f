"""The request log (one row per /query/ and /dump/ request) and per-user quota overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RequestLog(models.Model):
    """One API or file request, written by ops.middleware.RequestLogMiddleware."""

    time = models.DateTimeField(help_text="When the request arrived")
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name="client IP")
    # SET_NULL: deleting a user keeps their history; `username` still says who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # covered by the (user, time) index
    )
    # The authenticated user's name, or the name a failed (401) request tried.
    username = models.CharField(max_length=150, blank=True)
    method = models.CharField(max_length=7)
    endpoint = models.CharField(max_length=64, help_text="e.g. rawChipByLocation, or dump")
    params = models.JSONField(default=dict, blank=True, help_text="Password-like keys dropped")
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    chips_cut = models.PositiveIntegerField(default=0)
    chips_cached = models.PositiveIntegerField(default=0, help_text="Chips served from cache")
    bytes_sent = models.BigIntegerField(null=True, blank=True, help_text="Empty when unknown")

    class Meta:
        ordering = ["-time"]
        indexes = [
            # The daily chip quota per user (SUM(chips_cut) since midnight) and the log
            # filtered by user.
            models.Index(fields=["user", "time"], name="requestlog_user_time"),
            # The same per client IP.
            models.Index(fields=["ip", "time"], name="requestlog_ip_time"),
            # Pruning (time < cutoff), the daily summary and the 30-day chart (time ranges),
            # and the admin list, newest first.
            models.Index(fields=["time"], name="requestlog_time"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.ip} {self.endpoint} {self.status}"


class UserQuota(models.Model):
    """A user's own quotas, overriding the site-wide settings where a value is set."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ops_quota"
    )
    requests_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the site default. 0: no limit."
    )
    chips_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Chips cut per day. Empty: the site default. 0: no limit."
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why this user differs")

    class Meta:
        verbose_name = "quota override"

    def __str__(self) -> str:
        return f"quota for {self.user}"


class UsageSummary(RequestLog):
    """No table: gives the daily usage page its own line in the admin index."""

    class Meta:
        proxy = True
        verbose_name = "daily usage"
        verbose_name_plural = "daily usage"
