"""A parcel's time series: parcel -> its polygon -> one scene per acquisition -> the rows
the signature store lacks computed from the archive (chips.raster.zonal) and recorded ->
the columnar answer (JSON columns, or CSV).

A request computes only what the store lacks, so the next request over the same season
reads the store alone and opens no file.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from chips import dispatch, tasks
from chips.catalogue import selection
from chips.catalogue.models import Asset, Scene
from chips.cutting import CUT_THREADS
from chips.raster.errors import ChipError
from chips.raster.zonal import BandStats, clear_share, scene_stats
from chips.signatures.compute import in_crs, open_run, signature
from chips.signatures.models import Signature, SignatureRun
from chips.signatures.store import record
from common.errors import ArchiveUnavailable, BackendUnavailable
from parcels.models import Parcel

log = logging.getLogger(__name__)

SceneFilter = Callable[[list[Scene]], list[Scene]]
S2_BANDS = ("B02", "B03", "B04", "B05", "B08", "B11")
STAT_FIELDS = ("count", "mean", "std", "min", "p25", "p50", "p75", "max")
# The statistics that are DNs: harmonize shifts them by the offset (std and count not).
DN_FIELDS = ("mean", "min", "p25", "p50", "p75", "max")


@dataclass(frozen=True)
class SeriesRequest:
    """What a parcelTimeSeries request asks, validated."""

    tstype: str  # "s2" or "scl"
    bands: tuple[str, ...]  # the s2 bands of the answer (empty for scl)
    with_hist: bool
    with_reference: bool
    level: str
    start: dt.date
    end: dt.date
    harmonize: bool = False
    min_clear: float | None = None

    @property
    def needs_scl(self) -> bool:
        return self.tstype == "scl" or self.with_hist or self.min_clear is not None

    @property
    def store_bands(self) -> tuple[str, ...]:
        return (*self.bands, "SCL") if self.needs_scl else self.bands


def parcel_polygon(parcel: Parcel) -> tuple[shapely.Geometry, int]:
    """The parcel as imported (its native geometry) and the dataset's SRID."""
    srid = int(parcel.dataset.srid)
    return shapely.from_wkb(bytes(parcel.geom_native)), srid


def season_scenes(parcel: Parcel, *, level: str, start: dt.date, end: dt.date) -> list[Scene]:
    """One scene per acquisition whose data footprint meets the parcel: the chip rule
    (best coverage, then baseline, then generation time), measured on the parcel."""
    shape: GEOSGeometry = parcel.geom
    # The parcel stands in for the chip square: intersects and coverage work on any area.
    scenes = selection.candidate_scenes(square=shape, level=level, start=start, end=end)
    return selection.best_per_acquisition(scenes, shape)


def _compute(files: dict[str, str], polygon: shapely.Geometry) -> list[BandStats] | ChipError:
    try:
        return scene_stats(files, polygon)
    except ChipError as exc:
        return exc


def _held(
    parcel: Parcel, scenes: Sequence[Scene], bands: Sequence[str]
) -> dict[tuple[int, str], Signature]:
    rows = Signature.objects.filter(
        parcel=parcel, scene__in=[s.pk for s in scenes], band__in=list(bands)
    )
    return {(r.scene_id, r.band): r for r in rows}


def fill_store(
    parcel: Parcel, scenes: Sequence[Scene], bands: Sequence[str]
) -> dict[tuple[int, str], Signature]:
    """The store's rows of the parcel for these scenes and bands, after computing and
    recording those it lacked: on the workers (one task per scene, joining a run already
    going), or without a broker here, scenes in parallel (GDAL releases the GIL). A scene
    whose files cannot be read is left out (logged) and tried again by the next request;
    nothing of it is recorded."""
    held = _held(parcel, scenes, bands)
    assets = Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=list(bands))
    todo: dict[int, dict[str, str]] = {}
    for asset in assets:
        if (asset.scene_id, asset.band) not in held:
            todo.setdefault(asset.scene_id, {})[asset.band] = asset.href
    if not todo:
        return held
    if dispatch.in_process():
        failed = _compute_here(parcel, {s.pk: s for s in scenes}, todo)
    else:
        failed = _compute_on_workers(parcel, todo)
    held = _held(parcel, scenes, bands)
    if failed and not held:
        raise ArchiveUnavailable(failed[0])
    return held


def _compute_here(
    parcel: Parcel, by_pk: dict[int, Scene], todo: dict[int, dict[str, str]]
) -> list[str]:
    native, srid = parcel_polygon(parcel)
    work = [(pk, files, in_crs(native, srid, by_pk[pk].epsg)) for pk, files in todo.items()]
    with ThreadPoolExecutor(max_workers=max(1, min(CUT_THREADS, len(work)))) as pool:
        results = list(pool.map(lambda w: _compute(w[1], w[2]), work))
    rows: list[Signature] = []
    failed: list[str] = []
    for (pk, _files, _polygon), result in zip(work, results, strict=True):
        if isinstance(result, ChipError):
            log.warning("parcel %s, scene %s: %s", parcel.pk, by_pk[pk].product_id, result)
            failed.append(str(result))
            continue
        rows.extend(signature(parcel.pk, by_pk[pk], stats) for stats in result)
    if rows:
        record(rows)
    return failed


def _send(message: tuple[str, int, int, list[str]]) -> None:
    tasks.parcel_signatures.apply_async(args=message)


def _compute_on_workers(parcel: Parcel, todo: dict[int, dict[str, str]]) -> list[str]:
    """One task per scene (a run that is live already is joined, not sent again); wait
    for them up to CHIP_REQUEST_WAIT_SECONDS. The reasons of the scenes that failed."""
    keys = {f"p{parcel.pk}:s{pk}": (pk, sorted(files)) for pk, files in todo.items()}
    for key, (pk, bands) in keys.items():
        if open_run(key):
            message = (key, parcel.pk, pk, bands)
            # Sent once the run row is committed: the worker must find it to close it.
            transaction.on_commit(functools.partial(_send, message))
    deadline = time.monotonic() + settings.CHIP_REQUEST_WAIT_SECONDS
    while True:
        runs = dict(SignatureRun.objects.filter(key__in=list(keys)).values_list("key", "error"))
        if all(runs.values()):  # every run over: gone (recorded) or failed
            break
        if time.monotonic() > deadline:
            raise BackendUnavailable("the workers did not compute the time series in time")
        time.sleep(0.05)
    failed = [error for error in runs.values() if error]
    SignatureRun.objects.filter(key__in=list(runs)).exclude(error="").delete()
    return failed


def columns(req: SeriesRequest) -> list[str]:
    names = ["date_part", "band", *STAT_FIELDS]
    if req.tstype == "scl" or req.with_hist:
        names.append("hist")
    if req.with_reference:
        names.append("reference")
    return names


def epoch(when: dt.datetime) -> int | float:
    seconds = when.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def clear_scenes(
    scenes: Sequence[Scene], rows: dict[tuple[int, str], Signature], min_clear: float
) -> list[Scene]:
    """The scenes where at least `min_clear` % of the parcel's SCL pixels are clear."""
    clear = settings.SCL_CLEAR_CLASSES
    kept = []
    for scene in scenes:
        scl = rows.get((scene.pk, "SCL"))
        share = clear_share(scl.hist if scl else None, clear)
        if share is not None and share >= min_clear:
            kept.append(scene)
    return kept


def time_series(parcel: Parcel, req: SeriesRequest) -> dict[str, list[Any]]:
    """The columnar answer, one row per acquisition and band, by date then band."""
    scenes = season_scenes(parcel, level=req.level, start=req.start, end=req.end)
    rows = fill_store(parcel, scenes, req.store_bands)
    if req.min_clear is not None:
        scenes = clear_scenes(scenes, rows, req.min_clear)
    answer: dict[str, list[Any]] = {name: [] for name in columns(req)}
    bands = ("SCL",) if req.tstype == "scl" else tuple(sorted(req.bands))
    for scene in scenes:
        scl = rows.get((scene.pk, "SCL"))
        hist = json.dumps(scl.hist) if scl is not None and scl.hist is not None else None
        for band in bands:
            row = rows.get((scene.pk, band))
            if row is None or row.count == 0:  # no such band file, or no valid pixel
                continue
            shift = scene.radiometric_offset if req.harmonize and band != "SCL" else 0
            answer["date_part"].append(epoch(scene.sensing_time))
            answer["band"].append(band)
            for name in STAT_FIELDS:
                value = getattr(row, name)
                if shift and name in DN_FIELDS and value is not None:
                    value += shift
                answer[name].append(value)
            if "hist" in answer:
                answer["hist"].append(hist)
            if "reference" in answer:
                answer["reference"].append(scene.product_id)
    return answer


def as_csv(answer: dict[str, list[Any]]) -> str:
    """The same table as CSV, header row first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(answer)
    writer.writerow(names)
    writer.writerows(zip(*(answer[n] for n in names), strict=True))
    return out.getvalue()


def csv_name(*, aoi: str, year: int, ptype: str, pid: str, tstype: str) -> str:
    """timeseries_<aoi><year>[_<ptype>]_<pid>_<tstype>.csv"""
    suffix = f"_{ptype}" if ptype else ""
    return f"timeseries_{aoi}{year}{suffix}_{pid}_{tstype}.csv"


def clear_filter(parcel: Parcel, min_clear: float | None) -> SceneFilter | None:
    """min_clear on the chip endpoints: the scenes of the chips (one per acquisition over
    the chip square) narrowed to those where the parcel is clear enough, from the same
    store (the parcel's SCL rows of those scenes, computed where missing)."""
    if min_clear is None:
        return None

    def keep(scenes: list[Scene]) -> list[Scene]:
        return clear_scenes(scenes, fill_store(parcel, scenes, ["SCL"]), min_clear)

    return keep
