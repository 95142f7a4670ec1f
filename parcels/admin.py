"""Admin: datasets (read-mostly, they come from import_parcels) and per-user AOI grants."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from parcels.models import AoiGrant, ParcelDataset


@admin.register(ParcelDataset)
class ParcelDatasetAdmin(admin.ModelAdmin):
    list_display = ["aoi", "year", "ptype", "srid", "parcel_count", "source", "imported_at"]
    list_filter = ["aoi", "year"]
    # Parcels are loaded and replaced by `manage.py import_parcels`, not edited here.
    readonly_fields = ["srid", "source", "parcel_count", "imported_at"]


@admin.register(AoiGrant)
class AoiGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "aoi"]
    list_filter = ["aoi"]
    search_fields = ["user__username", "aoi"]
    autocomplete_fields = ["user"]


class AoiGrantInline(admin.TabularInline):
    model = AoiGrant
    extra = 1


User = get_user_model()
# The grants are edited where the user is: an inline on the user's own admin page, added
# to whatever user admin is registered (django.contrib.auth's comes first in INSTALLED_APPS).
_base_user_admin = type(admin.site._registry[User]) if admin.site.is_registered(User) else UserAdmin


class UserWithGrantsAdmin(_base_user_admin):  # type: ignore[misc, valid-type]  # run-time base
    inlines = [*_base_user_admin.inlines, AoiGrantInline]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserWithGrantsAdmin)
