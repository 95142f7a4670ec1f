"""The planner core of every chip flow (raw chips, composites): which window of which band
file a scene gives for a point (ChipSpec), with the band grids learnt once (headers read a
few at a time) and kept in the catalogue.

Plain functions over catalogue rows; no HTTP, no cutting (chips.raw.cut does that).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chips.catalogue import selection
from chips.catalogue.models import Asset, Level, Scene
from chips.catalogue.sar_models import SarAsset, SarScene
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError, SourceUnreadable
from chips.raster.extract import band_grid, snap_window
from chips.raster.threads import CUT_THREADS


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


def asset_grid(asset: Asset | SarAsset) -> tuple[float, float, float, float, float, float]:
    """The affine of an asset's band file: from the catalogue when known, else from the
    file's header (kept in the process; `learn_grids` stores it in the catalogue)."""
    if asset.grid:
        return tuple(asset.grid[:6])
    return band_grid(asset.href).transform


Window = tuple[int, int, int, int]


def chip_window(
    *,
    scene: Scene | SarScene,
    asset: Asset | SarAsset,
    band: str,
    lon: float,
    lat: float,
    chipsize: int,
) -> tuple[tuple[float, float, float, float, float, float], Window]:
    """The band file's affine and the chip's window on it (col_off, row_off, width, height):
    the point in the scene's own CRS (the hemisphere comes with the scene's EPSG), the
    window snapped on the file's own grid. An unreadable file is said by product and band,
    as the cut would say it."""
    x, y = selection.lonlat_to(scene.epsg, lon, lat)
    try:
        grid = asset_grid(asset)
    except SourceUnreadable as exc:
        raise SourceUnreadable(exc.href, exc.reason, product=scene.product_id, band=band) from exc
    return grid, snap_window(grid, x=x, y=y, chipsize=chipsize)


def plan_chip(*, scene: Scene, asset: Asset, lon: float, lat: float, chipsize: int) -> ChipSpec:
    """The spec of a scene's chip (chip_window)."""
    grid, (col_off, row_off, size_x, size_y) = chip_window(
        scene=scene, asset=asset, band=asset.band, lon=lon, lat=lat, chipsize=chipsize
    )
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


def scene_assets(scenes: Sequence[Scene], bands: Iterable[str]) -> dict[tuple[int, str], Asset]:
    """{(scene pk, band): asset} of the scenes' band files, their grids learnt (one query,
    then the headers not in the catalogue yet read a few at a time and kept there)."""
    rows = Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=list(bands))
    assets = {(a.scene_id, a.band): a for a in rows}
    learn_grids(list(assets.values()))
    return assets


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


def learn_grids(assets: Sequence[Asset] | Sequence[SarAsset]) -> None:
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
    if learnt:  # Sentinel-2 assets, or Sentinel-1 ones (chips.catalogue.sar_selection)
        manager: Any = type(learnt[0])._default_manager
        manager.bulk_update(learnt, ["grid"])
