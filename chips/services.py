"""The raw chip request flow: select scenes -> plan specs -> cache check -> cut -> record.

Plain functions with keyword-only arguments; the views parse parameters and call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from cbmweb.errors import BackendUnavailable, BadParameter, NotFound

from . import cache, catalogue
from .chipspec import ChipSpec
from .errors import ChipError
from .extract import band_grid, snap_window
from .models import Asset, Level, Scene
from .tasks import cut_scene_chips


@dataclass(frozen=True)
class PlannedChip:
    """One entry of an answer: its date label, its scene and what to cut."""

    label: str
    scene: Scene
    spec: ChipSpec


def scene_tags(scene: Scene, band: str) -> tuple[tuple[str, str], ...]:
    """The GeoTIFF tags of a chip: enough to trace it back to its product."""
    tags = [
        ("PRODUCT", scene.product_id),
        ("SENSING_TIME", scene.sensing_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("BAND", band),
        ("TILE", scene.tile),
        ("PROCESSING_BASELINE", scene.processing_baseline),
        ("LEVEL", scene.level),
    ]
    if scene.radiometric_offset:
        name = "BOA_ADD_OFFSET" if scene.level == Level.L2A else "RADIO_ADD_OFFSET"
        tags.append((name, str(scene.radiometric_offset)))
    return tuple(tags)


def plan_chip(*, scene: Scene, asset: Asset, lon: float, lat: float, chipsize: int) -> ChipSpec:
    """The spec of a scene's chip: the point in the scene's own CRS (the hemisphere comes
    with the scene's EPSG), the window snapped on the band file's own grid."""
    x, y = catalogue.lonlat_to(scene.epsg, lon, lat)
    grid = band_grid(asset.href).transform
    col_off, row_off, size_x, size_y = snap_window(grid, x=x, y=y, chipsize=chipsize)
    return ChipSpec(
        product_id=scene.product_id,
        band=asset.band,
        href=asset.href,
        epsg=scene.epsg,
        grid=grid,
        col_off=col_off,
        row_off=row_off,
        size_x=size_x,
        size_y=size_y,
        tags=scene_tags(scene, asset.band),
    )


def _assets(scenes: Sequence[Scene], bands: Sequence[str]) -> dict[tuple[int, str], Asset]:
    rows = Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=list(bands))
    return {(a.scene_id, a.band): a for a in rows}


def _plan(
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> list[PlannedChip]:
    assets = _assets(scenes, bands)
    planned: list[PlannedChip] = []
    try:
        for scene in scenes:
            for band in bands:
                asset = assets.get((scene.pk, band))
                if asset is None:  # a product ingested without this band: no chip to give
                    continue
                label = f"{scene.sensing_key}_{band}" if batch_labels else scene.sensing_key
                spec = plan_chip(scene=scene, asset=asset, lon=lon, lat=lat, chipsize=chipsize)
                planned.append(PlannedChip(label, scene, spec))
    except ChipError as exc:
        raise BackendUnavailable(f"chip archive unavailable: {exc}") from exc
    return planned


def raw_chips_by_location(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    start: dt.date,
    end: dt.date,
    band: str,
    chipsize: int,
    level: str,
    refresh: bool = False,
    onlylist: bool = False,
) -> dict[str, list[str]]:
    """rawChipByLocation (and by parcel, with the parcel's centroid as the point)."""
    scenes = catalogue.select_scenes(
        lon=lon, lat=lat, chipsize=chipsize, level=level, start=start, end=end
    )
    if onlylist:  # nothing is cut nor opened: the catalogue answers alone
        return {
            "dates": [s.sensing_key for s in scenes],
            "chips": [s.product_id for s in scenes],
        }
    planned = _plan(
        scenes=scenes, bands=[band], lon=lon, lat=lat, chipsize=chipsize, batch_labels=False
    )
    return deliver(
        user=user,
        ip=ip,
        lon=lon,
        lat=lat,
        chipsize=chipsize,
        planned=planned,
        refresh=refresh,
        limit_param="end_date",
        limit_hint="shorten the date window (start_date..end_date)",
    )


def raw_chips_batch(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    product_ids: Sequence[str],
    bands: Sequence[str],
    chipsize: int,
    level: str | None,
) -> dict[str, list[str]]:
    """rawChipsBatch: every asked product x band, and only those."""
    found = catalogue.scenes_by_product_ids(product_ids=product_ids)
    asked = [p.removesuffix(".SAFE") for p in product_ids]
    unknown = [p for p in asked if p not in found]
    if unknown:
        raise NotFound(f"unknown products: {', '.join(unknown[:5])}", param="tiles")
    scenes = sorted(
        {found[p].pk: found[p] for p in asked}.values(),
        key=lambda s: (s.sensing_time, s.product_id),
    )
    for scene in scenes:
        if level is not None and scene.level != level:
            raise BadParameter(f"{scene.product_id} is not {level}", param="tiles")
    planned = _plan(
        scenes=scenes, bands=bands, lon=lon, lat=lat, chipsize=chipsize, batch_labels=True
    )
    return deliver(
        user=user,
        ip=ip,
        lon=lon,
        lat=lat,
        chipsize=chipsize,
        planned=planned,
        refresh=False,
        limit_param="tiles",
        limit_hint="ask for fewer tiles or bands",
    )


def deliver(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    chipsize: int,
    planned: Sequence[PlannedChip],
    refresh: bool,
    limit_param: str,
    limit_hint: str,
) -> dict[str, list[str]]:
    """Give the client every planned chip: reuse what it holds, cut the rest (at most
    MAX_CHIPS_PER_REQUEST), record, and answer dates and /dump/ paths in plan order."""
    client = cache.client_cache(
        user=user, ip=ip, square=cache.square_key(lon=lon, lat=lat, chipsize=chipsize)
    )
    held = {} if refresh else cache.held_chips(cache=client, specs=[p.spec for p in planned])
    missing = [p for p in planned if p.spec.key not in held]
    limit = settings.MAX_CHIPS_PER_REQUEST
    if len(missing) > limit:
        raise BadParameter(
            f"{len(missing)} chips to cut, at most {limit} per request (chips already in "
            f"your cache do not count): {limit_hint}, then ask for the rest",
            param=limit_param,
        )
    sizes = _cut(missing, refresh=refresh)
    present: set[str] = set(held)
    for item in missing:
        size = sizes.get(item.spec.key, 0)
        if size > 0:
            cache.record_chip(cache=client, spec=item.spec, scene=item.scene, size_bytes=size)
            present.add(item.spec.key)
    shown = [p for p in planned if p.spec.key in present]
    return {
        "dates": [p.label for p in shown],
        "chips": [f"/dump/{client.token}/{p.spec.file_name}" for p in shown],
    }


def _cut(missing: Sequence[PlannedChip], *, refresh: bool) -> dict[str, int]:
    """Bytes of each missing chip's file: shared files another client had cut are reused
    (unless refresh), the rest is cut by one task per scene."""
    sizes: dict[str, int] = {}
    per_scene: dict[int, list[ChipSpec]] = {}
    for item in missing:
        shared = None if refresh else cache.shared_file(item.spec)
        if shared is not None:
            sizes[item.spec.key] = shared.stat().st_size
        else:
            per_scene.setdefault(item.scene.pk, []).append(item.spec)
    try:
        # Eager (no broker) runs each task right here and raises its error at once.
        results = [
            cut_scene_chips.apply_async(args=[[s.to_dict() for s in specs]])
            for specs in per_scene.values()
        ]
        for result in results:
            sizes.update(result.get(timeout=settings.CHIP_REQUEST_WAIT_SECONDS))
    except ChipError as exc:
        raise BackendUnavailable(f"chip archive unavailable: {exc}") from exc
    except CeleryTimeout as exc:
        raise BackendUnavailable("chip workers did not answer in time; retry later") from exc
    return sizes
