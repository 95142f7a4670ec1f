"""Composite chips (PNG) for chipsByLocation and chipsByParcelID: plan, cache, work, status.

A composite is three raw chips of one scene (cut by the raw machinery into the shared store)
rendered by chips.render into CHIP_STORE/png/<key[:2]>/<key>.png and recorded in the client's
cache as `<product>.png`. The work of a request is a chip job (chips.jobs), one task per
scene on the workers (in a thread of the web process without a broker): a reload or a
status poll of the same request finds the running job and joins it instead of starting
again. Progress is read from the cache records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
import shapely
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from PIL import Image

from cbmweb.errors import BackendUnavailable, BadParameter

from . import cache, catalogue, jobs, services, tasks
from .bands import BAND_RESOLUTION
from .chipspec import ChipSpec
from .composite_params import parse_lut
from .errors import ChipError, SourceUnreadable
from .extract import write_atomic
from .models import Asset, CachedChip, ChipJob, ClientCache, JobStatus, Level, Scene
from .render import BandArray, Lut, cloud_share, render_composite

log = logging.getLogger(__name__)

COMPOSITE_VERSION = "png2"  # png2: the stretch limits in a tEXt chunk


@dataclass(frozen=True)
class CompositeRequest:
    """What a composite page asks for, parsed and validated."""

    lon: float
    lat: float
    chipsize: int
    level: str
    start: dt.date
    end: dt.date
    bands: tuple[str, str, str]
    lut: Lut
    # The parcel outline (lon/lat WKT) for chipsByParcelID; drawn on every chip.
    outline_wkt: str | None = None
    # refresh=True: cut and render every chip again, even those the client holds.
    refresh: bool = False


@dataclass(frozen=True)
class PlannedComposite:
    scene: Scene
    specs: tuple[ChipSpec, ChipSpec, ChipSpec]
    scl: ChipSpec | None
    key: str
    outline_native_wkt: str | None

    @property
    def file_name(self) -> str:
        return f"{self.scene.product_id}.png"

    @property
    def stored_path(self) -> str:
        return f"png/{self.key[:2]}/{self.key}.png"

    @property
    def date(self) -> str:
        return self.scene.sensing_time.astimezone(dt.UTC).date().isoformat()


@dataclass
class CompositePlan:
    request: CompositeRequest
    client: ClientCache
    items: list[PlannedComposite]
    job_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.job_key = jobs.job_key(
            kind="composite",
            token=self.client.token,
            chip_keys=[i.key for i in self.items],
            refresh=self.request.refresh,
        )


@dataclass(frozen=True)
class PngFacts:
    """What a composite PNG says about itself in its tEXt chunks."""

    cloud: float | None = None  # share of the chip's valid SCL pixels in the cloud mask
    stretch: str | None = None  # `B08:812-4410 B04:...`, the values mapped to 0 and 255


@dataclass(frozen=True)
class ChipState:
    item: PlannedComposite
    src: str | None  # /dump/ path once the chip is in the client's cache
    empty: bool  # the scene has no pixel in this square
    facts: PngFacts = PngFacts()


@dataclass(frozen=True)
class PlanStatus:
    state: str  # "done", "running" or "failed"
    chips: list[ChipState]
    error: str = ""
    job_id: str | None = None  # the job doing (or last done) this request's work

    @property
    def total(self) -> int:
        return len(self.chips)

    @property
    def done(self) -> int:
        return sum(1 for c in self.chips if c.src or c.empty)


def composite_key(specs: Sequence[ChipSpec], lut: Lut, outline: str | None) -> str:
    """Content address of a composite: its raw chips, its stretch and its outline."""
    outline_hash = hashlib.sha256(outline.encode()).hexdigest()[:16] if outline else "-"
    ident = "|".join([COMPOSITE_VERSION, *(s.key for s in specs), lut.to_param(), outline_hash])
    return hashlib.sha256(ident.encode()).hexdigest()[:40]


def _outline_in(epsg: int, outline_wkt: str | None) -> str | None:
    if not outline_wkt:
        return None
    project = catalogue.transformer(4326, epsg).transform
    return shapely.transform(shapely.from_wkt(outline_wkt), project, interleaved=False).wkt


def _cut_size(request: CompositeRequest, band: str) -> int:
    """The chip size to cut of a band. A band of another resolution than the first is
    snapped on its own grid, which may sit half a coarse pixel off the first band's: cut
    it a coarse pixel wider on each side so that it covers the whole output grid (else
    resampling leaves an empty edge row or column)."""
    first = BAND_RESOLUTION[request.bands[0]]
    res = BAND_RESOLUTION[band]
    return request.chipsize if res == first else request.chipsize + 2 * max(res, first)


def plan_composites(*, user: AbstractBaseUser, ip: str, request: CompositeRequest) -> CompositePlan:
    """One composite per acquisition (scenes holding all three bands), and the client's
    cache for this square, bands, lut and outline (one token each, so `<product>.png`
    names one file)."""
    scenes = catalogue.select_scenes(
        lon=request.lon,
        lat=request.lat,
        chipsize=request.chipsize,
        level=request.level,
        start=request.start,
        end=request.end,
    )
    wanted = set(request.bands) | {"SCL"}
    assets = {
        (a.scene_id, a.band): a
        for a in Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=wanted)
    }
    items: list[PlannedComposite] = []
    try:
        for scene in scenes:
            band_assets = [assets.get((scene.pk, b)) for b in request.bands]
            if any(a is None for a in band_assets):
                continue  # a product ingested without one of the bands: no composite
            specs = tuple(
                services.plan_chip(
                    scene=scene,
                    asset=a,
                    lon=request.lon,
                    lat=request.lat,
                    chipsize=_cut_size(request, a.band),
                )
                for a in band_assets
                if a is not None
            )
            scl_asset = assets.get((scene.pk, "SCL")) if scene.level == Level.L2A else None
            scl = (
                services.plan_chip(
                    scene=scene,
                    asset=scl_asset,
                    lon=request.lon,
                    lat=request.lat,
                    chipsize=request.chipsize,
                )
                if scl_asset is not None
                else None
            )
            native = _outline_in(scene.epsg, request.outline_wkt)
            key = composite_key(specs, request.lut, native)
            items.append(PlannedComposite(scene, specs, scl, key, native))  # type: ignore[arg-type]
    except ChipError as exc:
        raise BackendUnavailable(f"chip archive unavailable: {exc}") from exc
    variant = "|".join([",".join(request.bands), request.lut.to_param(), request.outline_wkt or ""])
    square = cache.square_key(lon=request.lon, lat=request.lat, chipsize=request.chipsize)
    square += "|c" + hashlib.sha256(variant.encode()).hexdigest()[:12]
    client = cache.client_cache(user=user, ip=ip, square=square)
    return CompositePlan(request, client, items)


# --- jobs ---------------------------------------------------------------------------------


def held_composites(plan: CompositePlan) -> dict[str, CachedChip]:
    """{composite key: record} of the chips the client holds, file present."""
    keys = [i.key for i in plan.items]
    records = CachedChip.objects.filter(cache=plan.client, spec_key__in=keys)
    return {r.spec_key: r for r in records if cache.store_path(r.stored_path).is_file()}


def _empty_keys(plan: CompositePlan) -> set[str]:
    """Composites an earlier job of this request found without a pixel (nothing to show)."""
    last = ChipJob.objects.filter(key=plan.job_key).order_by("-created").first()
    return set(last.options.get("empty", [])) if last else set()


def ensure_work(plan: CompositePlan, *, limit_hint: str) -> PlanStatus:
    """Start a job for the chips the client lacks (all of them with `refresh`), or join the
    request's running job; answer where each chip stands. Over the per-request limit:
    TooManyChips (400)."""
    job = jobs.live_job(plan.job_key)
    held = held_composites(plan)
    if job is None:
        refresh = plan.request.refresh
        empty = set() if refresh else _empty_keys(plan)
        missing = [i for i in plan.items if refresh or (i.key not in held and i.key not in empty)]
        if missing:
            limit = settings.MAX_CHIPS_PER_REQUEST
            if len(missing) > limit:
                raise TooManyChips(len(missing), limit, missing[limit - 1], limit_hint)
            job, created = jobs.open_job(
                key=plan.job_key,
                kind="composite",
                cache=plan.client,
                plan=[(i.scene.sensing_key, i.key, i.file_name) for i in plan.items],
                total=len(plan.items),
                done=len(plan.items) - len(missing),
                options={
                    "lut": plan.request.lut.to_param(),
                    "empty": sorted(empty),
                    "refresh": refresh,
                },
            )
            if created:
                messages = [composite_message(i, refresh=refresh) for i in missing]
                tasks.run_composite_job(job, messages)
    return plan_status(plan, held=held, job=job)


class TooManyChips(BadParameter):
    """More chips to cut than a request may: names the count and a window that fits."""

    def __init__(self, count: int, limit: int, last_fitting: PlannedComposite, hint: str) -> None:
        self.count = count
        self.limit = limit
        self.suggested_end = last_fitting.date
        super().__init__(
            f"{count} chips to cut, at most {limit} per request (chips already in your cache "
            f"do not count): {hint}, e.g. end_date={self.suggested_end}, then ask for the rest",
            param="end_date",
        )


def plan_status(
    plan: CompositePlan, *, held: dict[str, CachedChip] | None = None, job: ChipJob | None = None
) -> PlanStatus:
    held = held_composites(plan) if held is None else held
    if job is None:
        job = ChipJob.objects.filter(key=plan.job_key).order_by("-created").first()
    chips = [
        ChipState(
            item=i,
            src=f"/dump/{plan.client.token}/{i.file_name}" if i.key in held else None,
            empty=False,
            facts=png_facts(held[i.key]) if i.key in held else PngFacts(),
        )
        for i in plan.items
    ]
    return _settled(_job_view(job, chips))


JobView = tuple[ChipJob | None, list[ChipState]]


def _job_view(
    job: ChipJob | None, chips: list[ChipState]
) -> tuple[ChipJob | None, list[ChipState]]:
    """The chips as the job sees them: while a refresh runs, a chip the client held before
    is not ready until the job has made it again; a chip without a pixel is empty."""
    if job is None:
        return job, chips
    empty = set(job.options.get("empty", []))
    reported = set(job.options.get("reported", []))
    recutting = job.options.get("refresh") and job.status == JobStatus.RUNNING
    out = []
    for c in chips:
        if recutting and c.item.key not in reported:
            c = ChipState(c.item, None, False)
        elif c.item.key in empty and not c.src:
            c = ChipState(c.item, None, True)
        out.append(c)
    return job, out


def _settled(view: JobView) -> PlanStatus:
    job, chips = view
    job_id = str(job.pk) if job is not None else None
    if all(c.src or c.empty for c in chips):
        return PlanStatus("done", chips, job_id=job_id)
    if job is not None and job.status == JobStatus.FAILED:
        error = "; ".join(sorted(set(job.errors.values())))
        return PlanStatus("failed", chips, error=error, job_id=job_id)
    if job is None or job.status != JobStatus.RUNNING:
        return PlanStatus("failed", chips, error="some chips could not be made", job_id=job_id)
    return PlanStatus("running", chips, job_id=job_id)


def job_progress(job: ChipJob) -> dict[str, Any]:
    """Where a composite job stands, chip by chip, read from the job and its client's cache
    alone (nothing is planned nor started): what the page polls while chips are cut."""
    keys = [key for _, key, _ in job.plan]
    records = CachedChip.objects.filter(cache_id=job.cache_id, spec_key__in=keys)
    held = {r.spec_key: r for r in records if cache.store_path(r.stored_path).is_file()}
    token = job.cache.token
    empty = set(job.options.get("empty", []))
    reported = set(job.options.get("reported", []))
    recutting = job.options.get("refresh") and job.status == JobStatus.RUNNING
    items = []
    for label, key, name in job.plan:
        ready = key in held and not (recutting and key not in reported)
        facts = png_facts(held[key]) if ready else PngFacts()
        items.append(
            {
                "id": label,
                "product": name.removesuffix(".png"),
                "src": f"/dump/{token}/{name}" if ready else None,
                "empty": not ready and key in empty,
                "cloud": cloud_text(facts.cloud),
                "stretch": facts.stretch,
            }
        )
    done = sum(1 for i in items if i["src"] or i["empty"])
    if done == len(items):
        state, error = "done", ""
    elif job.status == JobStatus.RUNNING:
        state, error = "running", ""
    else:
        state = "failed"
        error = "; ".join(sorted(set(job.errors.values()))) or "some chips could not be made"
    return {"state": state, "done": done, "total": len(items), "error": error, "items": items}


def cloud_text(share: float | None) -> str | None:
    return f"{share * 100:.0f} %" if share is not None else None


def png_facts(record: CachedChip) -> PngFacts:
    """The facts of a held composite (read without decoding pixels)."""
    try:
        with Image.open(cache.store_path(record.stored_path)) as image:
            text = dict(image.text)  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return PngFacts()
    cloud = text.get("cloud_share")
    return PngFacts(float(cloud) if cloud else None, text.get("stretch") or None)


def composite_message(item: PlannedComposite, *, refresh: bool = False) -> dict[str, Any]:
    """A planned composite as plain values, for a task message."""
    return {
        "refresh": refresh,
        "scene_id": item.scene.pk,
        "specs": [s.to_dict() for s in item.specs],
        "scl": item.scl.to_dict() if item.scl else None,
        "key": item.key,
        "outline": item.outline_native_wkt,
    }


def make_composite(job: ChipJob, message: dict[str, Any]) -> None:
    """Cut, render and record one composite of a job, and report it (a task's body)."""
    scene = Scene.objects.get(pk=message["scene_id"])
    specs = tuple(ChipSpec.from_dict(d) for d in message["specs"])
    scl = ChipSpec.from_dict(message["scl"]) if message["scl"] else None
    item = PlannedComposite(scene, specs, scl, message["key"], message["outline"])  # type: ignore[arg-type]
    try:
        size = build_composite(
            item, lut=parse_lut(job.options.get("lut")), refresh=bool(message.get("refresh"))
        )
    except ChipError as exc:
        jobs.report_scene(job.pk, chip_keys=[item.key], records=[], failed={item.key: str(exc)})
        return
    record = jobs.ChipRecord(
        file_name=item.file_name,
        spec_key=item.key,
        stored_path=item.stored_path,
        scene_id=scene.pk,
        band=specs[0].band,
        size_bytes=size,
    )
    jobs.report_scene(
        job.pk,
        chip_keys=[item.key],
        records=[record] if size else [],
        empty=[] if size else [item.key],
    )


def build_composite(item: PlannedComposite, *, lut: Lut, refresh: bool = False) -> int:
    """Bytes of the composite's PNG (written to the store), 0 when no band has a pixel.
    With `refresh` its raw chips are cut again and the PNG rendered again."""
    target = cache.store_path(item.stored_path)
    if target.is_file() and not refresh:  # another client asked for the same composite
        os.utime(target)
        return target.stat().st_size
    specs = [*item.specs, *([item.scl] if item.scl else [])]
    _ensure_raw(specs, scene_id=item.scene.pk, refresh=refresh)
    arrays = [_read_raw(spec) for spec in specs]
    if not any(np.any(a != spec.nodata) for a, spec in zip(arrays[:3], specs, strict=False)):
        return 0
    bands = [
        BandArray(spec.band, array, spec.transform, spec.nodata)
        for spec, array in zip(item.specs, arrays[:3], strict=True)
    ]
    text: dict[str, str] = {
        "product": item.scene.product_id,
        "bands": "_".join(s.band for s in item.specs),
    }
    if item.scl is not None:
        share = cloud_share(arrays[3], nodata=item.scl.nodata)
        if share is not None:
            text["cloud_share"] = f"{share:.4f}"
    outline = shapely.from_wkt(item.outline_native_wkt) if item.outline_native_wkt else None
    png, _ = render_composite(
        bands=bands, crs=f"EPSG:{item.specs[0].epsg}", lut=lut, outline=outline, text=text
    )
    write_atomic(target, png)
    return len(png)


def _ensure_raw(specs: Sequence[ChipSpec], *, scene_id: int, refresh: bool) -> None:
    """Cut the raw chips the shared store lacks (all, with `refresh`), here: this runs
    inside a task already."""
    cut = tasks.cut_scene(tasks.SceneWork(scene_id, tuple(specs)), refresh=refresh)
    if cut.failed:
        raise SourceUnreadable(next(iter(cut.failed)), next(iter(cut.failed.values())))


def _read_raw(spec: ChipSpec) -> np.ndarray:
    """A raw chip's pixels; all nodata when the scene had none there (no file was cut)."""
    path = cache.store_path(cache.stored_relpath(spec))
    if not path.is_file():
        return np.full((spec.size_y, spec.size_x), spec.nodata, dtype=np.uint16)
    with rasterio.open(path) as src:
        return src.read(1)
