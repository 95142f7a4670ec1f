"""Signature work as a worker (or this process) runs it: one parcel on one scene (a
request's missing rows), or every parcel of a dataset that one scene covers (bulk); the
rows recorded by bulk upsert. Runs others may join are keyed rows (SignatureRun).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from django.db import IntegrityError, transaction
from django.utils import timezone
from pyproj import Transformer

from chips.catalogue import selection
from chips.catalogue.models import Asset, Scene
from chips.raster.zonal import BandStats, band_stats, scene_stats
from chips.raster.zonal_bulk import bulk_band_stats, overlapping
from chips.signatures.models import Signature, SignatureExtraction, SignatureRun
from parcels.models import Parcel, ParcelDataset

log = logging.getLogger(__name__)

STAT_FIELDS = ("count", "mean", "std", "min", "p25", "p50", "p75", "max")
# A run untouched for this long lost its worker and its message: it is opened again.
STALE_RUN = dt.timedelta(minutes=30)
UPSERT_BATCH = 5000


def in_crs(polygon: shapely.Geometry, src: int, dst: int) -> shapely.Geometry:
    """The polygon in another CRS (pyproj, x/y order)."""
    if src == dst:
        return polygon
    tr = selection.transformer(src, dst)
    return shapely.transform(polygon, lambda xy: _through(tr, xy))


def _through(tr: Transformer, xy: np.ndarray) -> np.ndarray:
    xs, ys = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([xs, ys])


def scene_files(scene_id: int, bands: Iterable[str]) -> dict[str, str]:
    """{band: href} of the bands the scene has."""
    rows = Asset.objects.filter(scene_id=scene_id, band__in=list(bands))
    return dict(rows.values_list("band", "href"))


def signature(parcel_id: int, scene: Scene, stats: BandStats) -> Signature:
    hist = None if stats.hist is None else {str(k): v for k, v in sorted(stats.hist.items())}
    return Signature(parcel_id=parcel_id, scene=scene, band=stats.band,
                     sensing_time=scene.sensing_time, count=stats.count, mean=stats.mean,
                     std=stats.std, min=stats.min, p25=stats.p25, p50=stats.p50, p75=stats.p75,
                     max=stats.max, hist=hist)  # fmt: skip


def record(rows: Sequence[Signature]) -> None:
    """Upsert the rows: a task redone after its worker died duplicates nothing."""
    Signature.objects.bulk_create(
        rows,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["parcel", "scene", "band"],
        update_fields=[*STAT_FIELDS, "hist", "sensing_time"],
    )


def parcel_scene(parcel_id: int, scene_id: int, bands: Sequence[str]) -> int:
    """Compute and record one parcel's rows of one scene (each band file opened once);
    the rows recorded. Raises ChipError when a file cannot be read (nothing recorded)."""
    parcel = Parcel.objects.select_related("dataset").get(pk=parcel_id)
    scene = Scene.objects.get(pk=scene_id)
    native = shapely.from_wkb(bytes(parcel.geom_native))
    polygon = in_crs(native, parcel.dataset.srid, scene.epsg)
    stats = scene_stats(scene_files(scene_id, bands), polygon)
    record([signature(parcel_id, scene, s) for s in stats])
    return len(stats)


def open_run(key: str) -> bool:
    """Open the live run `key`; False when one is live already (join it). A stale run is
    taken over."""
    SignatureRun.objects.filter(key=key, created__lt=timezone.now() - STALE_RUN).delete()
    try:
        with transaction.atomic():
            SignatureRun.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def close_run(key: str, error: str = "") -> None:
    """The run is over: gone when it succeeded, its reason kept for the waiters if not."""
    if error:
        SignatureRun.objects.filter(key=key).update(error=error[:2000])
    else:
        SignatureRun.objects.filter(key=key).delete()


def dataset_parcels(dataset: ParcelDataset, scene: Scene) -> list[tuple[int, bytes]]:
    """(pk, native WKB) of the dataset's parcels the scene's data footprint meets."""
    rows = Parcel.objects.filter(dataset=dataset, geom__intersects=scene.footprint)
    return [(pk, bytes(wkb)) for pk, wkb in rows.order_by("pk").values_list("pk", "geom_native")]


def extract_scene(dataset_id: int, scene_id: int, bands: Sequence[str]) -> SignatureExtraction:
    """Every parcel of the dataset the scene covers, every band asked (those the scene
    has): one label raster per band grid, each band file read once. The rows and the
    scene's extraction mark are recorded together (a killed task leaves neither)."""
    started = time.perf_counter()
    dataset = ParcelDataset.objects.get(pk=dataset_id)
    scene = Scene.objects.get(pk=scene_id)
    parcels = dataset_parcels(dataset, scene)
    native = [shapely.from_wkb(wkb) for _pk, wkb in parcels]
    polygons = [in_crs(p, dataset.srid, scene.epsg) for p in native]
    # Parcels overlapping another cannot share one label raster: one by one instead.
    alone = overlapping(polygons) if polygons else set()
    together = [i for i in range(len(polygons)) if i not in alone]
    key = f"d{dataset_id}:{scene.tile}:{scene.epsg}"
    rows: list[Signature] = []
    files = scene_files(scene_id, bands)
    for band, href in sorted(files.items()):
        stats = bulk_band_stats(href, band, key, [polygons[i] for i in together])
        rows += [signature(parcels[i][0], scene, s) for i, s in zip(together, stats, strict=True)]
        rows += [signature(parcels[i][0], scene, band_stats(href, band, polygons[i]))
                 for i in sorted(alone)]  # fmt: skip
    with transaction.atomic():
        record(rows)
        mark, _ = SignatureExtraction.objects.update_or_create(
            dataset=dataset,
            scene=scene,
            defaults={"bands": sorted(bands), "parcels": len(parcels), "rows": len(rows),
                      "seconds": time.perf_counter() - started},
        )  # fmt: skip
    return mark
