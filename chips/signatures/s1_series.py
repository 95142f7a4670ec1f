"""A parcel's Sentinel-1 series (parcelTimeSeries tstype=bs and c6, the markers' S1 rows):
the products over the parcel (every pass) -> the rows the store lacks computed through the
work layer (signature units, chips.signatures.work) -> linear statistics per acquisition,
one VH and one VV row each (both or neither).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from chips.catalogue import sar_selection
from chips.catalogue.sar_models import SarAsset, SarKind, SarScene
from chips.catalogue.selection import utc_window
from chips.errors import nothing_read
from chips.models import JobStatus
from chips.signatures.models import SarSignature
from chips.signatures.series import STAT_FIELDS, epoch
from chips.signatures.work import open_job, sar_parcel_unit
from chips.work import jobs
from common.errors import BackendUnavailable
from parcels.models import Parcel

TSTYPE_KINDS = {"bs": SarKind.BS, "c6": SarKind.COH6}
# The CbM names of the bands: VVb/VHb (backscatter), VVc/VHc (coherence).
SUFFIX = {SarKind.BS: "b", SarKind.COH6: "c"}
POLARISATIONS = ("VH", "VV")


@dataclass(frozen=True)
class SarSeriesRequest:
    tstype: str  # bs or c6
    polarisations: tuple[str, ...]  # ("VH", "VV") or one
    start: dt.date
    end: dt.date
    with_reference: bool = False
    with_orbit: bool = False
    orbit_direction: str | None = None
    relative_orbit: int | None = None

    @property
    def kind(self) -> str:
        return TSTYPE_KINDS[self.tstype]


def season_products(
    parcel: Parcel,
    *,
    kind: str,
    start: dt.date,
    end: dt.date,
    orbit_direction: str | None = None,
    relative_orbit: int | None = None,
) -> list[SarScene]:
    """The products over the parcel in the window: every pass, one product per pass."""
    return sar_selection.candidates(area=parcel.geom, kind=kind, start=start, end=end,
                                    orbit_direction=orbit_direction,
                                    relative_orbit=relative_orbit)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Held:
    """A stored row's statistics (SarSignature's columns, read as plain values)."""

    scene_id: int
    band: str
    count: int
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    max: float | None


def _held(parcel: Parcel, scenes: Sequence[SarScene]) -> dict[tuple[int, str], Held]:
    """The store's rows of the parcel for these products: one range scan of the (parcel,
    sensing_time) index over the products' dates, kept to the products asked; plain
    values (a model instance per row cost a warm request 2-3 ms of its 10-20)."""
    if not scenes:
        return {}
    pks = {s.pk for s in scenes}
    rows = SarSignature.objects.filter(
        parcel=parcel,
        sensing_time__gte=min(s.sensing_time for s in scenes),
        sensing_time__lte=max(s.sensing_time for s in scenes),
    ).values_list("scene_id", "band", *STAT_FIELDS)
    return {(r[0], r[1]): Held(*r) for r in rows if r[0] in pks}


def fill_store(parcel: Parcel, scenes: Sequence[SarScene]) -> dict[tuple[int, str], Held]:
    """The store's VV and VH rows of the parcel for these products, after computing those
    it lacked: a signature job, one unit per product (joined when the same work runs)."""
    held = _held(parcel, scenes)
    if all((s.pk, p) in held for s in scenes for p in POLARISATIONS):
        return held  # the warm path: no look at the band files' table
    assets = SarAsset.objects.filter(
        scene__in=[s.pk for s in scenes], polarisation__in=POLARISATIONS
    ).values_list("scene_id", "polarisation")
    todo: dict[int, set[str]] = {}
    for scene_id, polarisation in assets:
        if (scene_id, polarisation) not in held:
            todo.setdefault(scene_id, set()).add(polarisation)
    if not todo:
        return held
    by_pk = {s.pk: s for s in scenes}
    units = [sar_parcel_unit(parcel.pk, pk, sorted(p)) for pk, p in todo.items()]
    job, _ = open_job(f"p{parcel.pk}", units, [by_pk[pk].product_id for pk in todo])
    job = jobs.wait(job, timeout=settings.CHIP_REQUEST_WAIT_SECONDS)
    if job.status == JobStatus.RUNNING:
        raise BackendUnavailable("the workers did not compute the time series in time")
    held = _held(parcel, scenes)
    nothing_read(jobs.reasons(job), made=bool(held))
    return held


def columns(req: SarSeriesRequest) -> list[str]:
    names = ["date_part", "band", *STAT_FIELDS]
    if req.with_reference:
        names.append("reference")
    if req.with_orbit:
        names += ["orbit_direction", "relative_orbit"]
    return names


def _pair(rows: dict[tuple[int, str], Held], scene: SarScene) -> dict[str, Held] | None:
    """The product's VH and VV rows when both have valid pixels (an acquisition has both
    polarisations or neither)."""
    pair = {p: rows.get((scene.pk, p)) for p in POLARISATIONS}
    if any(r is None or r.count == 0 for r in pair.values()):
        return None
    return {p: r for p, r in pair.items() if r is not None}


def time_series(parcel: Parcel, req: SarSeriesRequest) -> dict[str, list[Any]]:
    """The columnar answer: per acquisition VH then VV (or the one asked), by date."""
    scenes = season_products(parcel, kind=req.kind, start=req.start, end=req.end,
                             orbit_direction=req.orbit_direction,
                             relative_orbit=req.relative_orbit)  # fmt: skip
    rows = fill_store(parcel, scenes)
    answer: dict[str, list[Any]] = {name: [] for name in columns(req)}
    suffix = SUFFIX[SarKind(req.kind)]
    for scene in scenes:
        pair = _pair(rows, scene)
        if pair is None:
            continue
        for pol in req.polarisations:
            row = pair[pol]
            answer["date_part"].append(epoch(scene.sensing_time))
            answer["band"].append(f"{pol}{suffix}")
            for name in STAT_FIELDS:
                answer[name].append(getattr(row, name))
            if req.with_reference:
                answer["reference"].append(scene.product_id)
            if req.with_orbit:
                answer["orbit_direction"].append(scene.orbit_direction)
                answer["relative_orbit"].append(scene.relative_orbit)
    return answer


@dataclass(frozen=True)
class S1Row:
    """One Sentinel-1 acquisition of a parcel (for the markers): linear means of VV and
    VH over the parcel's valid pixels, `count` the fewer of the two polarisations'."""

    date: dt.datetime  # sensing start (UTC); a coherence pair: its first date
    kind: str  # "bs" or "c6"
    orbit_direction: str  # ASCENDING / DESCENDING
    relative_orbit: int
    vv: float
    vh: float
    count: int
    product_id: str
    second_date: dt.datetime | None = None  # a coherence pair's second date


def s1_rows(
    parcel: Parcel, start: dt.date, end: dt.date, *, kinds: Sequence[str] = ("bs", "c6")
) -> list[S1Row]:
    """The parcel's Sentinel-1 series from the signature store (what it lacks computed
    first), both kinds, every pass, sorted by date then kind: plain rows. Series and change
    detection should stay per orbit (relative_orbit): incidence angles differ."""
    out: list[S1Row] = []
    for tstype in kinds:
        scenes = season_products(parcel, kind=TSTYPE_KINDS[tstype], start=start, end=end)
        rows = fill_store(parcel, scenes)
        for scene in scenes:
            pair = _pair(rows, scene)
            if pair is None:
                continue
            out.append(_row(scene, tstype, pair["VV"], pair["VH"]))
    return sorted(out, key=lambda r: (r.date, r.kind, r.relative_orbit))


def _row(scene: SarScene, kind: str, vv: Any, vh: Any) -> S1Row:
    return S1Row(date=scene.sensing_time, kind=kind, orbit_direction=scene.orbit_direction,
                 relative_orbit=scene.relative_orbit, vv=vv.mean, vh=vh.mean,
                 count=min(vv.count, vh.count), product_id=scene.product_id,
                 second_date=scene.second_time)  # fmt: skip


def held_rows(parcel_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, list[S1Row]]:
    """Many parcels' Sentinel-1 rows as the store holds them (nothing computed: the bulk
    markers read what `extract_signatures --tstype bs|c6` recorded), in one query; the same
    rows and order as `s1_rows`."""
    lo, hi = utc_window(start, end)
    kinds = {str(kind): tstype for tstype, kind in TSTYPE_KINDS.items()}
    # Plain tuples, each scene's fields read once: model instances per row were most of
    # a bulk markers run's time (~500 rows per parcel-season with two orbits).
    found = SarSignature.objects.filter(
        parcel_id__in=list(parcel_ids), sensing_time__gte=lo, sensing_time__lt=hi, count__gt=0
    ).values_list("parcel_id", "scene_id", "band", "mean", "count")
    pairs: dict[tuple[int, int], dict[str, tuple[Any, int]]] = defaultdict(dict)
    for pid, scene_id, band, mean, count in found.iterator(chunk_size=20000):
        pairs[(pid, scene_id)][band] = (mean, count)
    scene_ids = {scene_id for _, scene_id in pairs}
    scenes = {row[0]: row[1:] for row in SarScene.objects.filter(pk__in=scene_ids)
              .values_list("pk", *SCENE_FIELDS)}  # fmt: skip
    out: dict[int, list[S1Row]] = {pid: [] for pid in parcel_ids}
    for (pid, scene_id), pair in pairs.items():
        if set(pair) >= set(POLARISATIONS):
            kind, sensing, second, direction, relative, product = scenes[scene_id]
            (vv, vv_count), (vh, vh_count) = pair["VV"], pair["VH"]
            out[pid].append(S1Row(date=sensing, kind=kinds[kind], orbit_direction=direction,
                                  relative_orbit=relative, vv=vv, vh=vh,
                                  count=min(vv_count, vh_count), product_id=product,
                                  second_date=second))  # fmt: skip
    for rows in out.values():
        rows.sort(key=lambda r: (r.date, r.kind, r.relative_orbit))
    return out


SCENE_FIELDS = ("kind", "sensing_time", "second_time", "orbit_direction", "relative_orbit",
                "product_id")  # fmt: skip
