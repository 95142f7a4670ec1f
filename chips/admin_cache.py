"""Admin for the chip cache: per-client caches with file count, size and age; flush action.

Registered on import: chips/admin.py imports this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.timesince import timesince

from chips.models import CachedChip, ClientCache
from chips.store.cache import flush_clients

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _CacheFigures(TypedDict):
    """What ClientCacheAdmin.get_queryset annotates each cache with."""

    n_files: int
    n_bytes: int | None
    oldest: datetime | None
    newest: datetime | None


class CachedChipInline(admin.TabularInline):
    model = CachedChip
    fields = ("file_name", "band", "size_bytes", "created", "stored_path")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ClientCache)
class ClientCacheAdmin(admin.ModelAdmin):
    list_display = ("user", "ip", "square", "files", "size_mb", "age", "last_cut")
    list_filter = ("user",)
    search_fields = ("user__username", "ip", "square")
    readonly_fields = ("user", "ip", "square", "token", "created")
    inlines = [CachedChipInline]
    actions = ["flush_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClientCache]:
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(
                n_files=Count("chips"),
                n_bytes=Sum("chips__size_bytes"),
                oldest=Min("chips__created"),
                newest=Max("chips__created"),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # caches are made by requests only

    @admin.display(description="files", ordering="n_files")
    def files(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> int:
        return obj.n_files

    @admin.display(description="size (MB)", ordering="n_bytes")
    def size_mb(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> str:
        return f"{(obj.n_bytes or 0) / 1e6:.2f}"

    @admin.display(description="oldest chip", ordering="oldest")
    def age(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> str:
        oldest = obj.oldest
        return timesince(oldest, timezone.now()) if oldest else "-"

    @admin.display(description="last cut", ordering="newest")
    def last_cut(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> datetime | None:
        return obj.newest

    @admin.action(description="Flush the selected caches (records and unshared files)")
    def flush_selected(self, request: HttpRequest, queryset: QuerySet[ClientCache]) -> None:
        count = queryset.count()
        result = flush_clients(queryset)
        self.message_user(
            request, f"flushed {count} caches, deleted {result.files} files", messages.SUCCESS
        )
