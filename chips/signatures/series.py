"""A parcel's time series: parcel -> its polygon -> one scene per acquisition -> the rows
the signature store lacks computed from the archive (chips.raster.zonal) and recorded ->
the columnar answer (JSON columns, or CSV).

A request computes only what the store lacks, so the next request over the same season
reads the store alone and opens no file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry

from chips.catalogue import selection
from chips.catalogue.models import Asset, Scene
from chips.errors import nothing_read
from chips.models import JobStatus
from chips.raster.zonal import clear_share
from chips.signatures.models import Signature
from chips.signatures.work import open_job, parcel_unit
from chips.work import jobs
from common.errors import BackendUnavailable
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
    recording those it lacked: a signature job of one unit per scene (chips.work), joined
    when the same work runs already, made on the workers or here without a broker. A
    scene whose files cannot be read is left out (logged) and tried again by the next
    request; nothing of it is recorded."""
    held = _held(parcel, scenes, bands)
    assets = Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=list(bands))
    todo: dict[int, set[str]] = {}
    for asset in assets:
        if (asset.scene_id, asset.band) not in held:
            todo.setdefault(asset.scene_id, set()).add(asset.band)
    if not todo:
        return held
    by_pk = {s.pk: s for s in scenes}
    units = [parcel_unit(parcel.pk, pk, sorted(b)) for pk, b in todo.items()]
    job, _ = open_job(f"p{parcel.pk}", units, [by_pk[pk].product_id for pk in todo])
    job = jobs.wait(job, timeout=settings.CHIP_REQUEST_WAIT_SECONDS)
    if job.status == JobStatus.RUNNING:
        raise BackendUnavailable("the workers did not compute the time series in time")
    held = _held(parcel, scenes, bands)
    nothing_read(jobs.reasons(job), made=bool(held))
    return held


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
