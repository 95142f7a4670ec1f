"""Which background sources a user may use, the one `tms` names, and the default."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User

from background.imagery import SourceSpec
from background.models import BackgroundSource
from common.errors import BadParameter
from parcels.access import user_aois


def usable_sources(user: User | AnonymousUser) -> list[BackgroundSource]:
    """Enabled sources open to every user, or to one of the user's AOIs (staff: all)."""
    if not user.is_authenticated:
        return []
    aois = user_aois(user)
    return [
        s
        for s in BackgroundSource.objects.filter(enabled=True).order_by("name")
        if aois is None or not s.aoi_list() or s.aoi_list() & aois
    ]


def source_names(user: User | AnonymousUser) -> list[str]:
    return [s.name for s in usable_sources(user)]


def _default(sources: list[BackgroundSource]) -> BackgroundSource | None:
    return next((s for s in sources if s.is_default), sources[0] if sources else None)


def default_source(user: User | AnonymousUser) -> BackgroundSource | None:
    """The source a request without `tms` uses for this user: the operator's default if the
    user may use it, else the first the user may use by name; None when there is none."""
    return _default(usable_sources(user))


def default_source_name(user: User | AnonymousUser) -> str | None:
    source = default_source(user)
    return source.name if source else None


def resolve(user: User | AnonymousUser, tms: str | None) -> BackgroundSource:
    """The source `tms` names (case-insensitive), or the default. A name the user may not
    use answers as an unknown one does (400 naming tms and the names allowed): it does not
    reveal which sources other AOIs have."""
    sources = usable_sources(user)
    names = [s.name for s in sources]
    if not tms:
        source = _default(sources)
        if source is None:
            raise BadParameter("no background source is configured for you", param="tms")
        return source
    wanted = tms.strip().lower()
    for source in sources:
        if source.key == wanted:
            return source
    allowed = ", ".join(names) if names else "none"
    raise BadParameter(f"tms={tms!r} is not a background source (yours: {allowed})",
                       param="tms", choices=names)  # fmt: skip


def source_spec(source: BackgroundSource) -> SourceSpec:
    """What the imagery reader needs; its GDAL tile cache is the source's own folder, per
    version of the source (an edit in the admin starts a fresh cache)."""
    return SourceSpec(
        key=source.key,
        kind=source.kind,
        url=source.url,
        layer=source.layer,
        style=source.style,
        tile_matrix_set=source.tile_matrix_set,
        image_format=source.image_format,
        max_zoom=source.max_zoom,
        timeout=source.timeout,
        retries=source.retries,
        cache_dir=tile_root(source) / "gdal",
    )


def tile_root(source: BackgroundSource) -> Path:
    version = int(source.updated.timestamp()) if source.updated else 0
    return Path(settings.BACKGROUND_TILE_CACHE) / source.key / str(version)


def info_section(user: User | AnonymousUser) -> list[dict[str, object]]:
    """/query/info's "backgrounds": the sources the caller may use (name, kind, attribution,
    default)."""
    sources = usable_sources(user)
    default = _default(sources)
    return [
        {"name": s.name, "kind": s.kind, "attribution": s.attribution, "default": s == default}
        for s in sources
    ]
