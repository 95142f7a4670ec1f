"""The operators' admin: the request log (read-only), daily usage, and users with quotas."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ops.admin_filters import DayFilter, EndpointFilter, IpFilter, StatusFilter, UserFilter
from ops.admin_login import ThrottledAdminLoginForm
from ops.chart import usage_chart
from ops.models import RequestLog, UsageSummary, UserQuota
from ops.summary import ORDERINGS, _thresholds, usage_by_ip, usage_by_user, usage_per_day
from ops.usage_export import usage_csv


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    """Read-only: the log is evidence; rows go only by the retention (prune_request_log)."""

    change_list_template = "admin/ops/requestlog/change_list.html"
    list_display = [
        "local_time",
        "ip",
        "username",
        "method",
        "endpoint",
        "status",
        "duration_ms",
        "chips_cut",
        "chips_cached",
        "bytes_sent",
    ]
    list_filter = [
        DayFilter,
        IpFilter,
        UserFilter,
        EndpointFilter,
        StatusFilter,
        ("time", admin.DateFieldListFilter),
    ]
    list_per_page = 100
    # COUNT(*) over the whole table on every page is what makes big log admins slow.
    show_full_result_count = False
    ordering = ["-time"]

    @admin.display(description=f"time ({settings.TIME_ZONE})", ordering="time")
    def local_time(self, obj: RequestLog) -> str:
        # One clock on the page, named: the days of the filters and the quotas are local too.
        return f"{timezone.localtime(obj.time):%Y-%m-%d %H:%M:%S}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _month_param(request: HttpRequest, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, "") + "-01")
    except ValueError:
        return default


def _day_param(request: HttpRequest, today: date) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return today


@admin.register(UsageSummary)
class UsageSummaryAdmin(admin.ModelAdmin):
    """The daily usage page: who used the service most on a day, per user and per IP."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may read the log may read its summary.
        return request.user.is_active and request.user.has_perm("ops.view_requestlog")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="ops_usagesummary_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """Per user and month (?from=YYYY-MM&to=YYYY-MM; the last 12 months by default)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        last = _month_param(request, "to", today)
        year_ago = date(today.year - 1, today.month, 1)
        first = min(_month_param(request, "from", year_ago), last)
        name = f"cbmweb-usage-{first:%Y-%m}-{last:%Y-%m}.csv"
        response = HttpResponse(usage_csv(first=first, last=last), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        day = _day_param(request, today)
        order = request.GET.get("o", "chips")
        order = order if order in ORDERINGS else "chips"
        by_user = usage_by_user(day=day, order=order)
        by_ip = usage_by_ip(day=day, order=order)
        log_url = reverse("admin:ops_requestlog_changelist")
        heaviest = next((row for row in by_user if row.user_id is not None), None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Daily usage, {day:%A %d %B %Y}",
            "day": day,
            "today": today,
            "yesterday": today - timedelta(days=1),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < today else None,
            "order": order,
            "orders": list(ORDERINGS),
            "by_user": [
                (row, f"{log_url}?{urlencode({'day': day.isoformat(), 'user': row.key})}")
                for row in by_user
            ],
            "by_ip": [
                (row, f"{log_url}?{urlencode({'day': day.isoformat(), 'ip': row.key})}")
                for row in by_ip
            ],
            "heaviest": heaviest,
            "totals": {
                "requests": sum(row.requests for row in by_ip),
                "chips_cut": sum(row.chips_cut for row in by_ip),
                "errors": sum(row.errors for row in by_ip),
                "bytes_sent": sum(row.bytes_sent for row in by_ip),
            },
            "thresholds": _thresholds(),
            "chart": usage_chart(usage_per_day(last_day=day, days=30)),
            "log_url": log_url,
            "export_url": reverse("admin:ops_usagesummary_export"),
            "time_zone": settings.TIME_ZONE,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/ops/daily_usage.html", context)


class UserQuotaInline(admin.StackedInline):
    model = UserQuota
    extra = 0
    max_num = 1
    can_delete = True
    verbose_name = "quota override"
    verbose_name_plural = "quota override (empty: the site defaults)"


User = get_user_model()
# Other apps (parcels: AOI grants) add their inlines to the registered user admin the same
# way; whichever comes first, each subclasses the other's and keeps its inlines.
_base_user_admin = (
    type(admin.site.get_model_admin(User)) if admin.site.is_registered(User) else UserAdmin
)


class OpsUserAdmin(_base_user_admin):  # type: ignore[misc, valid-type]  # a base chosen at run time
    """Users: create, reset passwords (the stock password form), grants, quotas, usage."""

    inlines = [*_base_user_admin.inlines, UserQuotaInline]
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "last_login",
        "usage_link",
    ]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        # A user is created with name and password first; Django then opens the change
        # page, where grants and quotas are set.
        return [] if obj is None else super().get_inline_instances(request, obj)

    @admin.display(description="requests")
    def usage_link(self, obj: Any) -> str:
        url = reverse("admin:ops_requestlog_changelist")
        return format_html('<a href="{}?{}">log</a>', url, urlencode({"user": obj.username}))


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, OpsUserAdmin)
# Failed admin logins are throttled like HTTP Basic ones (common.login_throttle).
admin.site.login_form = ThrottledAdminLoginForm
