"""Who may see which AOI: staff see all, everyone else the AOIs granted to them."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from common.errors import Forbidden
from parcels.models import AoiGrant


def user_aois(user: User | AnonymousUser) -> set[str] | None:
    """The AOI codes `user` may see; None means every AOI (staff)."""
    if not user.is_authenticated:
        return set()
    if user.is_staff or user.is_superuser:
        return None
    return set(AoiGrant.objects.filter(user=user).values_list("aoi", flat=True))


def check_aoi(user: User | AnonymousUser, aoi: str) -> None:
    """Forbidden unless `user` may see `aoi`.

    Called before any dataset or parcel look-up, so the answer is the same whether or
    not the parcel exists.
    """
    aois = user_aois(user)
    if aois is not None and aoi not in aois:
        raise Forbidden(f"no access to AOI {aoi!r}", param="aoi")
