"""Sentinel-1 selection and chip planning: which products give a chip (or a parcel's row)
for a square, a kind and a date window, and the window of each polarisation's file.

Every pass counts: an ascending and a descending pass on one day, or two relative orbits,
are different acquisitions. The same acquisition catalogued twice (a PC item and a JRC
folder of one GRD) gives one: the product covering the square best.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.contrib.gis.geos import GEOSGeometry

from chips.catalogue import selection
from chips.catalogue.planning import chip_window, learn_grids
from chips.catalogue.sar_models import SarAsset, SarScene
from chips.catalogue.selection import utc_window
from chips.raster.chipspec import ChipSpec

POLARISATIONS = ("VH", "VV")  # answer order: VH before VV


def candidates(
    *,
    area: GEOSGeometry,
    kind: str,
    start: dt.date,
    end: dt.date,
    orbit_direction: str | None = None,
    relative_orbit: int | None = None,
) -> list[SarScene]:
    """Products of the kind sensed in the window whose footprint meets the area."""
    lo, hi = utc_window(start, end)
    rows = SarScene.objects.filter(
        kind=kind, sensing_time__gte=lo, sensing_time__lt=hi, footprint__intersects=area
    )
    if orbit_direction:
        rows = rows.filter(orbit_direction=orbit_direction)
    if relative_orbit is not None:
        rows = rows.filter(relative_orbit=relative_orbit)
    # The footprint column stays deferred: only an acquisition catalogued twice reads it.
    return one_per_acquisition(rows.defer("footprint").order_by("sensing_time", "product_id"), area)


def one_per_acquisition(scenes: Iterable[SarScene], area: GEOSGeometry) -> list[SarScene]:
    """One product per (platform, relative orbit, sensing start): the one covering best."""
    groups: dict[tuple[str, int, dt.datetime], list[SarScene]] = {}
    for scene in scenes:
        key = (scene.platform, scene.relative_orbit, scene.sensing_time)
        groups.setdefault(key, []).append(scene)

    def cover(scene: SarScene) -> float:
        return round(scene.footprint.intersection(area).area / (area.area or 1.0), 6)

    chosen = [g[0] if len(g) == 1 else max(g, key=cover) for g in groups.values()]
    return sorted(chosen, key=lambda s: (s.sensing_time, s.product_id))


def select(
    *,
    lon: float,
    lat: float,
    chipsize: float,
    kind: str,
    start: dt.date,
    end: dt.date,
    orbit_direction: str | None = None,
    relative_orbit: int | None = None,
) -> list[SarScene]:
    square = selection.chip_square_wgs84(lon=lon, lat=lat, chipsize=chipsize)
    return candidates(area=square, kind=kind, start=start, end=end,
                      orbit_direction=orbit_direction, relative_orbit=relative_orbit)  # fmt: skip


def assets_of(
    scenes: Sequence[SarScene], polarisations: Iterable[str]
) -> dict[tuple[int, str], SarAsset]:
    """{(scene pk, polarisation): asset}, grids learnt (and kept in the catalogue)."""
    rows = SarAsset.objects.filter(
        scene__in=[s.pk for s in scenes], polarisation__in=list(polarisations)
    )
    found = {(a.scene_id, a.polarisation): a for a in rows}
    learn_grids(list(found.values()))
    return found


def chip_tags(scene: SarScene, polarisation: str) -> tuple[tuple[str, str], ...]:
    """The chip's GeoTIFF tags: enough to trace it and to read it right."""

    def stamp(when: dt.datetime) -> str:
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    tags = [
        ("PRODUCT", scene.product_id),
        ("KIND", scene.kind),
        ("PLATFORM", scene.platform),
        ("SENSING_TIME", stamp(scene.sensing_time)),
        ("POLARISATION", polarisation),
        ("ORBIT_DIRECTION", scene.orbit_direction),
        ("RELATIVE_ORBIT", str(scene.relative_orbit)),
        ("COEFFICIENT", scene.coefficient),
        ("UNITS", "linear" if scene.coefficient != "coherence" else "coherence 0..1"),
    ]
    if scene.second_time is not None:
        tags.append(("SECOND_TIME", stamp(scene.second_time)))
    return tuple(tags)


def plan_chip(
    *, scene: SarScene, asset: SarAsset, lon: float, lat: float, chipsize: int
) -> ChipSpec:
    """The chip of one polarisation: the window snapped on the file's own grid."""
    grid, (col_off, row_off, size_x, size_y) = chip_window(
        scene=scene, asset=asset, band=asset.polarisation, lon=lon, lat=lat, chipsize=chipsize
    )
    return ChipSpec(
        product_id=scene.product_id,
        band=asset.polarisation,
        href=asset.href,
        epsg=scene.epsg,
        grid=grid,
        col_off=col_off,
        row_off=row_off,
        size_x=size_x,
        size_y=size_y,
        sar=True,
        band_index=asset.band_index,
        source_nodata=scene.nodata,
        tags=chip_tags(scene, asset.polarisation),
    )
