"""Signature work as a worker (or this process) runs it: one parcel on one scene (a
request's missing rows), or every parcel of a dataset that one scene covers (bulk); the
rows recorded by bulk upsert. Others join them as jobs (chips.signatures.work).
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import shapely
from django.db import transaction
from pyproj import Transformer

from chips.catalogue import selection
from chips.catalogue.models import Asset, Scene
from chips.catalogue.sar_models import SarScene
from chips.raster.zonal import BandStats, band_stats, scene_stats
from chips.raster.zonal_bulk import bulk_band_table, overlapping
from chips.signatures import store
from chips.signatures.models import Signature, SignatureExtraction
from parcels.models import Parcel, ParcelDataset

log = logging.getLogger(__name__)


def in_crs(polygon: shapely.Geometry, src: int, dst: int) -> shapely.Geometry:
    """The polygon in another CRS (pyproj, x/y order)."""
    if src == dst:
        return polygon
    tr = selection.transformer(src, dst)
    return shapely.transform(polygon, lambda xy: _through(tr, xy))


def in_crs_all(polygons: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Many polygons in another CRS: one pyproj call for all their coordinates."""
    if src == dst:
        return polygons
    tr = selection.transformer(src, dst)
    return shapely.transform(polygons, lambda xy: _through(tr, xy))


def _through(tr: Transformer, xy: np.ndarray) -> np.ndarray:
    xs, ys = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([xs, ys])


def scene_files(scene_id: int, bands: Iterable[str]) -> dict[str, str]:
    """{band: href} of the bands the scene has."""
    rows = Asset.objects.filter(scene_id=scene_id, band__in=list(bands))
    return dict(rows.values_list("band", "href"))


def signature(parcel_id: int, scene: Scene, stats: BandStats) -> Signature:
    return Signature(parcel_id=parcel_id, scene=scene, band=stats.band,
                     sensing_time=scene.sensing_time, count=stats.count, mean=stats.mean,
                     std=stats.std, min=stats.min, p25=stats.p25, p50=stats.p50, p75=stats.p75,
                     max=stats.max, hist=store.hist_keys(stats.hist))  # fmt: skip


def parcel_scene(parcel_id: int, scene_id: int, bands: Sequence[str]) -> int:
    """Compute and record one parcel's rows of one scene (each band file opened once);
    the rows recorded. Raises ChipError when a file cannot be read (nothing recorded)."""
    parcel = Parcel.objects.select_related("dataset").get(pk=parcel_id)
    scene = Scene.objects.get(pk=scene_id)
    native = shapely.from_wkb(bytes(parcel.geom_native))
    polygon = in_crs(native, parcel.dataset.srid, scene.epsg)
    stats = scene_stats(scene_files(scene_id, bands), polygon)
    store.record([signature(parcel_id, scene, s) for s in stats])
    return len(stats)


def dataset_parcels(dataset: ParcelDataset, scene: Scene | SarScene) -> list[tuple[int, bytes]]:
    """(pk, native WKB) of the dataset's parcels the scene's data footprint meets."""
    rows = Parcel.objects.filter(dataset=dataset, geom__intersects=scene.footprint)
    return [(pk, bytes(wkb)) for pk, wkb in rows.order_by("pk").values_list("pk", "geom_native")]


def dataset_overlaps(dataset: ParcelDataset) -> frozenset[int]:
    """The dataset's parcels whose interior meets another's (their pks), found once per
    import and process: every scene task of a dataset asks, and the answer depends on the
    parcels alone (found in their own CRS; a reprojection keeps who overlaps whom)."""
    return _overlaps(dataset.pk, f"{dataset.imported_at.isoformat()}:{dataset.parcel_count}")


@functools.lru_cache(maxsize=4)
def _overlaps(dataset_id: int, version: str) -> frozenset[int]:
    rows = Parcel.objects.filter(dataset_id=dataset_id).values_list("pk", "geom_native")
    pks, wkbs = [], []
    for pk, wkb in rows.iterator(chunk_size=20000):
        pks.append(pk)
        wkbs.append(bytes(wkb))
    if not pks:
        return frozenset()
    return frozenset(pks[i] for i in overlapping(list(shapely.from_wkb(wkbs))))


def extract_scene(dataset_id: int, scene_id: int, bands: Sequence[str]) -> SignatureExtraction:
    """Every parcel of the dataset the scene covers, every band asked (those the scene
    has): one label raster per band grid, each band file read once. The rows and the
    scene's extraction mark are recorded together (a killed task leaves neither)."""
    started = time.perf_counter()
    dataset = ParcelDataset.objects.get(pk=dataset_id)
    scene = Scene.objects.get(pk=scene_id)
    parcels = dataset_parcels(dataset, scene)
    ids = [pk for pk, _wkb in parcels]
    polygons = in_crs_all(shapely.from_wkb([wkb for _pk, wkb in parcels]), dataset.srid, scene.epsg)
    # Parcels overlapping another cannot share one label raster: one by one instead.
    overlaps = dataset_overlaps(dataset)
    alone = [i for i, pk in enumerate(ids) if pk in overlaps]
    lone = set(alone)
    together = [i for i in range(len(polygons)) if i not in lone]
    key = f"d{dataset_id}:{scene.tile}:{scene.epsg}"
    together_ids = [ids[i] for i in together]
    # Statistics first (columns are small), rows made while they are written.
    tables = []
    files = scene_files(scene_id, bands)
    for band, href in sorted(files.items()):
        table = bulk_band_table(href, band, key, list(polygons[together]))
        one_by_one = [store.stats_row(ids[i], scene, band_stats(href, band, polygons[i]))
                      for i in alone]  # fmt: skip
        tables.append((table, one_by_one))

    # Parcel by parcel (its bands together): the (parcel, sensing_time) and unique
    # indexes then take a parcel's rows on one page, about a third less insert time than
    # band by band.
    def rows() -> Iterator[store.Row]:
        per_band = [store.table_rows(together_ids, scene, table) for table, _one in tables]
        yield from itertools.chain.from_iterable(zip(*per_band, strict=True))
        yield from itertools.chain.from_iterable(zip(*(one for _t, one in tables), strict=True))

    with transaction.atomic():
        written = store.insert_scene(rows)
        mark, _ = SignatureExtraction.objects.update_or_create(
            dataset=dataset,
            scene=scene,
            defaults={"bands": sorted(bands), "parcels": len(parcels), "rows": written,
                      "seconds": time.perf_counter() - started},
        )  # fmt: skip
    return mark
