"""Admin for the chip cache: one row per client cache (who, where on the ground, what kind
of chips and bands, files, size, age), the store's totals, its free disk and the next
nightly flush above the list; one action, "Flush", and one "Flush all" button behind a
confirmation page. Both flush through chips.store.cache (records first, then the files no
client holds any more), as the nightly task and the flush_chip_cache command do.

Registered on import: chips/admin.py imports this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from PIL import Image

from chips.models import CachedChip, ClientCache
from chips.store import figures
from chips.store.cache import dump_url, flush_cache, flush_clients, store_path

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _CacheFigures(TypedDict):
    """What ClientCacheAdmin.get_queryset annotates each cache with."""

    n_files: int
    n_bytes: int | None
    n_products: int
    oldest: datetime | None
    newest: datetime | None


def place_text(square: str) -> str:
    """A cache's square ("<lon>|<lat>|<chipsize>", a composite's with its variant after)
    as a reader says it: "1280 m square at 52.10000° N, 5.10000° E"."""
    lon_text, lat_text, size, *_ = [*square.split("|"), "", ""]
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return square
    north = f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}"
    east = f"{abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
    return f"{size} m square at {north}, {east}"


def is_composite(square: str) -> bool:
    # chips.composite.plan appends "|c<variant>" (bands, stretch, outline) to its squares.
    return "|c" in square


def composite_bands(cache: ClientCache) -> str:
    """The band triple of a composite cache, from the PNG's own `bands` text (the record
    names only the first band)."""
    record = cache.chips.order_by("pk").first()
    if record is None:
        return ""
    try:
        with Image.open(store_path(record.stored_path)) as image:
            text = str(image.info.get("bands", ""))
    except (OSError, ValueError):
        return f"{record.band}/…"
    return text.replace("_", "/") or f"{record.band}/…"


class CachedChipInline(admin.TabularInline):
    model = CachedChip
    fields = ("product", "band", "size_bytes", "created", "path")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "file"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CachedChip]:
        return super().get_queryset(request).select_related("scene", "sar_scene", "cache")

    @admin.display(description="product")
    def product(self, obj: CachedChip) -> str:
        scene = obj.scene or obj.sar_scene  # a Sentinel-2 or a Sentinel-1 product
        return scene.product_id if scene is not None else ""

    @admin.display(description="path the client downloads it from")
    def path(self, obj: CachedChip) -> str:
        url = dump_url(obj.cache.token, obj.file_name)
        return format_html('<a href="{}">{}</a>', url, url)


@admin.register(ClientCache)
class ClientCacheAdmin(admin.ModelAdmin):
    list_display = ("client", "place", "kind", "bands", "products", "files", "size_mb", "age",
                    "last_cut")  # fmt: skip
    list_filter = ("user",)
    search_fields = ("user__username", "ip", "square")
    fields = ("user", "ip", "place_detail", "kind_detail", "dump_folder", "created")
    readonly_fields = fields
    inlines = [CachedChipInline]
    actions = ["flush_selected"]
    change_list_template = "admin/chips/clientcache/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClientCache]:
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(
                n_files=Count("chips"),
                n_bytes=Sum("chips__size_bytes"),
                n_products=Count("chips__scene", distinct=True),
                oldest=Min("chips__created"),
                newest=Max("chips__created"),
            )
            # A cache made by a request that cut nothing (an empty window) holds nothing.
            .filter(n_files__gt=0)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # caches are made by requests only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deleting a row would leave its files behind: "Flush" is the way

    def get_urls(self) -> list[URLPattern]:
        flush_all = path(
            "flush-all/",
            self.admin_site.admin_view(self.flush_all_view),
            name="chips_clientcache_flush_all",
        )
        return [flush_all, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **_store_context()}
        return super().changelist_view(request, extra_context=context)

    def flush_all_view(self, request: HttpRequest) -> HttpResponse:
        """GET: what a flush of everything removes, and a confirm button; POST: flush."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        back = reverse("admin:chips_clientcache_changelist")
        if request.method == "POST":
            result = flush_cache()  # the nightly flush's call: everything
            self.message_user(
                request,
                f"Flushed the whole cache: {result.records} cached chips forgotten, "
                f"{result.files} files deleted.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Flush the whole chip cache?",
            "totals": figures.store_totals(),
            "back": back,
        }
        return TemplateResponse(request, "admin/chips/clientcache/flush_all.html", context)

    @admin.display(description="client", ordering="user__username")
    def client(self, obj: ClientCache) -> str:
        return f"{obj.user} @ {obj.ip}"

    @admin.display(description="place", ordering="square")
    def place(self, obj: ClientCache) -> str:
        return place_text(obj.square)

    @admin.display(description="place")
    def place_detail(self, obj: ClientCache) -> str:
        return place_text(obj.square)

    @admin.display(description="kind")
    def kind(self, obj: ClientCache) -> str:
        return "composite PNG" if is_composite(obj.square) else "raw GeoTIFF"

    @admin.display(description="kind")
    def kind_detail(self, obj: ClientCache) -> str:
        bands = composite_bands(obj) if is_composite(obj.square) else _raw_bands(obj)
        return f"{self.kind(obj)}, bands {bands}"

    @admin.display(description="bands")
    def bands(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> str:
        return composite_bands(obj) if is_composite(obj.square) else _raw_bands(obj)

    @admin.display(description="dump folder")
    def dump_folder(self, obj: ClientCache) -> str:
        return f"{dump_url(obj.token, '')} (the client's token: its file URLs)"

    @admin.display(description="products", ordering="n_products")
    def products(self, obj: WithAnnotations[ClientCache, _CacheFigures]) -> int:
        return obj.n_products

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

    @admin.action(description="Flush the selected caches (their records and unshared files)")
    def flush_selected(self, request: HttpRequest, queryset: QuerySet[ClientCache]) -> None:
        count = queryset.count()
        # The plain rows: flush_clients deletes them (the list's annotations cannot be).
        result = flush_clients(ClientCache.objects.filter(pk__in=queryset.values("pk")))
        self.message_user(
            request,
            f"Flushed {count} caches: {result.records} cached chips forgotten, "
            f"{result.files} files deleted.",
            messages.SUCCESS,
        )


def _raw_bands(obj: ClientCache) -> str:
    # A query per row of the page (no array aggregate: the demo's SpatiaLite has none).
    bands = obj.chips.exclude(band="").values_list("band", flat=True).distinct().order_by("band")
    return ", ".join(bands)


def _store_context() -> dict[str, Any]:
    """The figures above the list (chips.store.figures)."""
    now = timezone.now()
    flush_at = figures.next_flush(now)
    disk = figures.store_disk()
    return {
        "totals": figures.store_totals(),
        "clients": figures.client_totals(),
        "disk": disk,
        "disk_free_share": disk.free / disk.total * 100 if disk and disk.total else None,
        "store_path": str(settings.CHIP_STORE),
        "next_flush": flush_at,
        "next_flush_in": timeuntil(flush_at, now),
        "flush_zone": str(settings.CELERY_TIMEZONE),
    }
