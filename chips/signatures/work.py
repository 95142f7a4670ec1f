"""Signature work through the work layer (chips.work): a parcel's missing rows (one unit per
scene) and a dataset's bulk extraction (one unit per scene) are signature jobs, joined by a
repeated request or a second run while they run, made here or on the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import shapely

from chips.catalogue.models import Scene
from chips.catalogue.sar_models import SarScene
from chips.models import ChipJob, JobKind
from chips.raster.errors import ChipError
from chips.raster.threads import CUT_THREADS
from chips.raster.zonal import BandStats, scene_stats
from chips.signatures import sar_compute
from chips.signatures.compute import extract_scene, in_crs, scene_files, signature
from chips.signatures.models import SarSignature, Signature
from chips.signatures.store import record
from chips.work import dispatch, jobs
from chips.work.units import Outcome, Reported, Unit, runner
from parcels.models import Parcel

log = logging.getLogger(__name__)


def parcel_unit(parcel_id: int, scene_id: int, bands: Sequence[str]) -> Unit:
    """One parcel's rows of one scene, every band asked (the scene's files of them)."""
    payload = {"parcel": parcel_id, "scene": scene_id, "bands": sorted(bands)}
    return Unit(JobKind.SIGNATURES, (f"p{parcel_id}:s{scene_id}",), payload)


def dataset_unit(dataset_id: int, scene: Scene, bands: Sequence[str]) -> Unit:
    """Every parcel of a dataset one scene covers (bulk extraction)."""
    payload = {"dataset": dataset_id, "scene": scene.pk, "bands": sorted(bands)}
    return Unit(JobKind.SIGNATURES, (f"d{dataset_id}:s{scene.pk}",), payload)


def sar_parcel_unit(parcel_id: int, scene_id: int, polarisations: Sequence[str]) -> Unit:
    """One parcel's rows of one Sentinel-1 product, every polarisation asked."""
    payload = {"parcel": parcel_id, "sar_scene": scene_id, "bands": sorted(polarisations)}
    return Unit(JobKind.SIGNATURES, (f"p{parcel_id}:r{scene_id}",), payload)


def sar_dataset_unit(dataset_id: int, scene: SarScene, polarisations: Sequence[str]) -> Unit:
    """Every parcel of a dataset one Sentinel-1 product covers (bulk extraction)."""
    payload = {"dataset": dataset_id, "sar_scene": scene.pk, "bands": sorted(polarisations)}
    return Unit(JobKind.SIGNATURES, (f"d{dataset_id}:r{scene.pk}",), payload)


def open_job(owner: str, units: Sequence[Unit], labels: Sequence[str]) -> tuple[ChipJob, bool]:
    """The signature job of these units (`owner`: "p<parcel>" or "d<dataset>:<bands>"),
    opened and submitted, or the running one of the same work joined. `labels`: each
    unit's label in the job's errors (a scene's product id)."""
    key = jobs.job_key(kind=JobKind.SIGNATURES, token=owner, keys=[u.keys[0] for u in units])
    entries = [jobs.Entry(label, u.keys[0]) for u, label in zip(units, labels, strict=True)]
    job, created = jobs.open_or_join(
        key, kind=JobKind.SIGNATURES, entries=entries, owner=dispatch.owner()
    )
    if created:
        dispatch.submit(job, units)
    return job, created


@runner(JobKind.SIGNATURES)
def signature_units(job: ChipJob, units: Sequence[Unit]) -> Iterator[Reported]:
    """A parcel's scenes at once in threads (GDAL releases the GIL), their rows recorded
    together; a dataset's scenes one after the other (each reads its band files whole).
    Sentinel-1 units (`sar_scene`) the same way, on their own tables."""
    s1 = [u for u in units if "sar_scene" in u.payload]
    s2 = [u for u in units if "sar_scene" not in u.payload]
    parcel_units = [u for u in s2 if "parcel" in u.payload]
    if parcel_units:
        yield _parcel_scenes(parcel_units)
    for unit in s2:
        if "dataset" in unit.payload:
            yield [(unit, _dataset_scene(unit))]
    sar_parcels = [u for u in s1 if "parcel" in u.payload]
    if sar_parcels:
        yield _sar_parcel_products(sar_parcels)
    for unit in s1:
        if "dataset" in unit.payload:
            yield [(unit, _sar_dataset_product(unit))]


def _stats(work: tuple[dict[str, str], shapely.Geometry]) -> list[BandStats] | ChipError:
    files, polygon = work
    try:
        return scene_stats(files, polygon)
    except ChipError as exc:
        return exc


def _parcel_scenes(units: Sequence[Unit]) -> Reported:
    parcels = Parcel.objects.select_related("dataset").in_bulk({u.payload["parcel"] for u in units})
    scenes = Scene.objects.in_bulk([u.payload["scene"] for u in units])
    work = []
    for u in units:
        parcel, scene = parcels[u.payload["parcel"]], scenes[u.payload["scene"]]
        native = shapely.from_wkb(bytes(parcel.geom_native))
        polygon = in_crs(native, int(parcel.dataset.srid), scene.epsg)
        work.append((scene_files(scene.pk, u.payload["bands"]), polygon))
        log.info("signatures: parcel %s scene %s %s", parcel.pk, scene.pk,
                 ",".join(u.payload["bands"]))  # fmt: skip
    with ThreadPoolExecutor(max_workers=max(1, min(CUT_THREADS, len(work)))) as pool:
        results = list(pool.map(_stats, work))
    rows: list[Signature] = []
    reported: Reported = []
    for u, result in zip(units, results, strict=True):
        scene = scenes[u.payload["scene"]]
        if isinstance(result, ChipError):
            log.warning("parcel %s, scene %s: %s", u.payload["parcel"], scene.product_id, result)
            reported.append((u, Outcome(failed={u.keys[0]: str(result)})))
            continue
        rows.extend(signature(u.payload["parcel"], scene, stats) for stats in result)
        reported.append((u, Outcome()))
    if rows:
        record(rows)
    return reported


def _dataset_scene(unit: Unit) -> Outcome:
    dataset_id, scene_id = unit.payload["dataset"], unit.payload["scene"]
    log.info("signatures: dataset %s scene %s started", dataset_id, scene_id)
    try:
        mark = extract_scene(dataset_id, scene_id, unit.payload["bands"])
    except ChipError as exc:
        log.warning("signatures: dataset %s scene %s failed: %s", dataset_id, scene_id, exc)
        return Outcome(failed={unit.keys[0]: str(exc)})
    log.info("signatures: dataset %s scene %s done, %d rows", dataset_id, scene_id, mark.rows)
    return Outcome()


def _sar_parcel_products(units: Sequence[Unit]) -> Reported:
    parcels = Parcel.objects.select_related("dataset").in_bulk({u.payload["parcel"] for u in units})
    scenes = SarScene.objects.in_bulk([u.payload["sar_scene"] for u in units])

    def stats(work: sar_compute.ParcelWork) -> list[BandStats] | ChipError:
        try:
            return sar_compute.parcel_stats(work)
        except ChipError as exc:
            return exc

    # Every product's files in one query (one a product was 120 queries a season).
    files = sar_compute.files_of(scenes.values(), {p for u in units for p in u.payload["bands"]})
    works = []
    for u in units:
        parcel, scene_id, asked = (
            parcels[u.payload["parcel"]],
            u.payload["sar_scene"],
            u.payload["bands"],
        )
        wanted = {p: b for p, b in files.get(scene_id, {}).items() if p in asked}
        works.append(sar_compute.parcel_work(parcel, scenes[scene_id], wanted))
    with ThreadPoolExecutor(max_workers=max(1, min(CUT_THREADS, len(units)))) as pool:
        results = list(pool.map(stats, works))
    rows: list[SarSignature] = []
    reported: Reported = []
    for u, result in zip(units, results, strict=True):
        scene = scenes[u.payload["sar_scene"]]
        if isinstance(result, ChipError):
            log.warning("parcel %s, product %s: %s", u.payload["parcel"], scene.product_id, result)
            reported.append((u, Outcome(failed={u.keys[0]: str(result)})))
            continue
        rows.extend(sar_compute.signature(u.payload["parcel"], scene, s) for s in result)
        reported.append((u, Outcome()))
    record(rows)
    return reported


def _sar_dataset_product(unit: Unit) -> Outcome:
    dataset_id, scene_id = unit.payload["dataset"], unit.payload["sar_scene"]
    try:
        mark = sar_compute.extract_product(dataset_id, scene_id, unit.payload["bands"])
    except ChipError as exc:
        log.warning("signatures: dataset %s product %s failed: %s", dataset_id, scene_id, exc)
        return Outcome(failed={unit.keys[0]: str(exc)})
    log.info("signatures: dataset %s product %s done, %d rows", dataset_id, scene_id, mark.rows)
    return Outcome()
