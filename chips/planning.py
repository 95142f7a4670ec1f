"""Chip planning: which window of which band file a scene gives for a point (ChipSpec),
with the band grids learnt once and kept in the catalogue.

Plain functions over catalogue rows; no HTTP, no cutting (chips.cutting does that).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chips.catalogue import selection
from chips.catalogue.models import Asset, Level, Scene
from chips.cutting import CUT_THREADS
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError, SourceUnreadable
from chips.raster.extract import band_grid, snap_window
from common.errors import ArchiveUnavailable


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


def asset_grid(asset: Asset) -> tuple[float, float, float, float, float, float]:
    """The affine of an asset's band file: from the catalogue when known, else from the
    file's header (kept in the process; `plan_raw` then stores it in the catalogue)."""
    if asset.grid:
        return tuple(asset.grid[:6])
    return band_grid(asset.href).transform


def plan_chip(*, scene: Scene, asset: Asset, lon: float, lat: float, chipsize: int) -> ChipSpec:
    """The spec of a scene's chip: the point in the scene's own CRS (the hemisphere comes
    with the scene's EPSG), the window snapped on the band file's own grid."""
    x, y = selection.lonlat_to(scene.epsg, lon, lat)
    try:
        grid = asset_grid(asset)
    except SourceUnreadable as exc:  # said by product and band, as the cut would say it
        raise SourceUnreadable(
            exc.href, exc.reason, product=scene.product_id, band=asset.band
        ) from exc
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


@dataclass(frozen=True)
class Plan:
    """The chips of a request in answer order, and {label: reason} of those whose band
    file could not even be opened to place the window."""

    chips: list[PlannedChip]
    failed: dict[str, str]


def read_grids(hrefs: Sequence[str]) -> None:
    """Open the headers of band files not seen yet, a few at a time: a cold request on
    many scenes spends most of its planning waiting on opens (GDAL releases the GIL)."""
    if len(hrefs) < 2:
        return

    def grid(href: str) -> None:
        with contextlib.suppress(ChipError):  # planning the scene says it again, for its date
            band_grid(href)

    with ThreadPoolExecutor(max_workers=min(CUT_THREADS, len(hrefs))) as pool:
        list(pool.map(grid, hrefs))


def learn_grids(assets: Sequence[Asset]) -> None:
    """Give assets whose grid the catalogue does not hold yet their file's grid, and store
    it: the next request plans their chips without opening any file (in any process).
    An unreadable file is left without (planning its chip reports why)."""
    unknown = [a for a in assets if not a.grid]
    if not unknown:
        return
    read_grids(list(dict.fromkeys(a.href for a in unknown)))
    learnt = []
    for asset in unknown:
        try:
            grid = band_grid(asset.href)
        except ChipError:
            continue
        asset.grid = [*grid.transform, grid.width, grid.height]
        learnt.append(asset)
    if learnt:
        Asset.objects.bulk_update(learnt, ["grid"])


def plan_raw(
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> Plan:
    assets = _assets(scenes, bands)
    learn_grids(list(assets.values()))
    plan = Plan([], {})
    for scene in scenes:
        for band in bands:
            asset = assets.get((scene.pk, band))
            if asset is None:  # a product ingested without this band: no chip to give
                continue
            label = f"{scene.sensing_key}_{band}" if batch_labels else scene.sensing_key
            try:
                spec = plan_chip(scene=scene, asset=asset, lon=lon, lat=lat, chipsize=chipsize)
            except ChipError as exc:
                plan.failed[label] = str(exc)
                continue
            plan.chips.append(PlannedChip(label, scene, spec))
    if plan.failed and not plan.chips:
        reason = next(iter(plan.failed.values()))
        raise ArchiveUnavailable(reason)
    return plan
