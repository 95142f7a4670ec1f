"""Sentinel-1 signature work as a worker (or this process) runs it: one parcel on one
product (a request's missing rows) or every parcel of a dataset one product covers (bulk),
each polarisation's band read once (chips.raster.sar); rows into SarSignature.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence

import shapely
from django.db import transaction

from chips.catalogue.sar_models import SarAsset, SarScene
from chips.raster import sar
from chips.raster.zonal import BandStats
from chips.signatures import store
from chips.signatures.compute import dataset_overlaps, dataset_parcels, in_crs, in_crs_all
from chips.signatures.models import SarExtraction, SarSignature
from parcels.models import Parcel, ParcelDataset


def sar_files(scene: SarScene, polarisations: Iterable[str]) -> dict[str, sar.SarBand]:
    """{polarisation: band} of the product's files of these polarisations."""
    return files_of([scene], polarisations).get(scene.pk, {})


def files_of(
    scenes: Iterable[SarScene], polarisations: Iterable[str]
) -> dict[int, dict[str, sar.SarBand]]:
    """{scene pk: {polarisation: band}} of these products' files, in one query (a query
    per product was 120 round trips of a parcel's cold season)."""
    by_pk = {s.pk: s for s in scenes}
    rows = SarAsset.objects.filter(
        scene__in=list(by_pk), polarisation__in=list(polarisations)
    ).values_list("scene_id", "polarisation", "href", "band_index")
    found: dict[int, dict[str, sar.SarBand]] = {}
    for scene_id, pol, href, index in rows:
        band = sar.SarBand(href, index, by_pk[scene_id].nodata)
        found.setdefault(scene_id, {})[pol] = band
    return found


def signature(parcel_id: int, scene: SarScene, stats: BandStats) -> SarSignature:
    return SarSignature(parcel_id=parcel_id, scene=scene, band=stats.band,
                        sensing_time=scene.sensing_time, count=stats.count, mean=stats.mean,
                        std=stats.std, min=stats.min, p25=stats.p25, p50=stats.p50,
                        p75=stats.p75, max=stats.max)  # fmt: skip


ParcelWork = tuple[dict[str, sar.SarBand], shapely.Geometry]


def parcel_work(parcel: Parcel, scene: SarScene, files: dict[str, sar.SarBand]) -> ParcelWork:
    """What computing a parcel's rows on a product reads: its files ({polarisation: band},
    files_of) and the parcel in the product's CRS (looked up here, in the caller's thread:
    the raster work may run in others, which then touch no database)."""
    native = shapely.from_wkb(bytes(parcel.geom_native))
    polygon = in_crs(native, int(parcel.dataset.srid), scene.epsg)
    return files, polygon


def parcel_stats(work: ParcelWork) -> list[BandStats]:
    """The parcel's statistics on each polarisation (ChipError if a file is unreadable)."""
    return sar.parcel_stats(*work)


def extract_product(dataset_id: int, scene_id: int, bands: Sequence[str]) -> SarExtraction:
    """Every parcel of the dataset the product covers, each polarisation read once; the
    rows and the product's extraction mark recorded together."""
    started = time.perf_counter()
    dataset = ParcelDataset.objects.get(pk=dataset_id)
    scene = SarScene.objects.get(pk=scene_id)
    parcels = dataset_parcels(dataset, scene)
    ids = [pk for pk, _wkb in parcels]
    polygons = in_crs_all(shapely.from_wkb([w for _pk, w in parcels]), dataset.srid, scene.epsg)
    overlaps = dataset_overlaps(dataset)
    alone = [i for i, pk in enumerate(ids) if pk in overlaps]
    together = [i for i in range(len(ids)) if i not in set(alone)]
    together_ids = [ids[i] for i in together]
    # One label raster per grid: every product of a track shares it (the cache compares
    # the geometries and the grid too).
    key = f"d{dataset_id}:s1:{scene.epsg}"
    tables = []
    for pol, band in sorted(sar_files(scene, bands).items()):
        table = sar.bulk_table(pol, band, key, list(polygons[together]))
        one_by_one = [store.stats_row(ids[i], scene, sar.band_stats(pol, band, polygons[i]))
                      for i in alone]  # fmt: skip
        tables.append((table, one_by_one))

    def rows() -> Iterator[store.Row]:
        per_band = [store.table_rows(together_ids, scene, table) for table, _one in tables]
        yield from itertools.chain.from_iterable(zip(*per_band, strict=True))
        yield from itertools.chain.from_iterable(zip(*(one for _t, one in tables), strict=True))

    with transaction.atomic():
        written = store.insert_scene(rows, SarSignature)
        mark, _ = SarExtraction.objects.update_or_create(
            dataset=dataset,
            scene=scene,
            defaults={"bands": sorted(bands), "parcels": len(parcels), "rows": written,
                      "seconds": time.perf_counter() - started},
        )  # fmt: skip
    return mark
