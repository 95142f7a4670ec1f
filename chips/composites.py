"""Composite chips (PNG) for chipsByLocation and chipsByParcelID: plan, cache, work, status.

A composite is three raw chips of one scene (cut by the raw machinery into the shared store)
rendered by chips.render into CHIP_STORE/png/<key[:2]>/<key>.png and recorded in the client's
cache as `<product>.png`. The work of a request runs in the background and is named by a
job file (CHIP_STORE/jobs/<job key>.json): a reload or a status poll of the same request
finds it and joins it instead of starting again. Progress is read from the cache records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import close_old_connections, connection
from PIL import Image

from cbmweb.errors import BackendUnavailable, BadParameter

from . import cache, catalogue, services
from .chipspec import ChipSpec
from .errors import ChipError
from .extract import write_atomic
from .models import Asset, CachedChip, ClientCache, Level, Scene
from .render import BandArray, Lut, cloud_share, render_composite
from .tasks import cut_scene_chips

log = logging.getLogger(__name__)

COMPOSITE_VERSION = "png1"
# A job whose file was not touched for this long lost its worker (process restarted): the
# next request takes it over. Each chip touches it; one chip waits at most the request wait.
STALE_JOB_SECONDS = 2 * settings.CHIP_REQUEST_WAIT_SECONDS + 30


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
        ident = "|".join([self.client.token, *sorted(i.key for i in self.items)])
        self.job_key = hashlib.sha256(ident.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ChipState:
    item: PlannedComposite
    src: str | None  # /dump/ path once the chip is in the client's cache
    empty: bool  # the scene has no pixel in this square
    cloud: float | None


@dataclass(frozen=True)
class PlanStatus:
    state: str  # "done", "running" or "failed"
    chips: list[ChipState]
    error: str = ""

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
                    chipsize=request.chipsize,
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


def job_path(job_key: str) -> Path:
    return Path(settings.CHIP_STORE) / "jobs" / f"{job_key}.json"


def read_job(job_key: str) -> dict[str, Any] | None:
    path = job_path(job_key)
    try:
        job = json.loads(path.read_text())
        job["age"] = time.time() - path.stat().st_mtime
        return job
    except (FileNotFoundError, ValueError):
        return None


def _write_job(job_key: str, job: dict[str, Any]) -> None:
    write_atomic(job_path(job_key), json.dumps(job).encode())


def _claim_job(job_key: str, job: dict[str, Any]) -> bool:
    """Create the job file if no live job has it: True when this request owns the work."""
    path = job_path(job_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        current = read_job(job_key)
        if current and current.get("state") == "running" and current["age"] < STALE_JOB_SECONDS:
            return False  # someone is on it: join
        _write_job(job_key, job)  # finished, failed or orphaned: take it over
        return True
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(job))
    return True


def held_composites(plan: CompositePlan) -> dict[str, CachedChip]:
    """{composite key: record} of the chips the client holds, file present."""
    keys = [i.key for i in plan.items]
    records = CachedChip.objects.filter(cache=plan.client, spec_key__in=keys)
    return {r.spec_key: r for r in records if cache.store_path(r.stored_path).is_file()}


def ensure_work(plan: CompositePlan, *, limit_hint: str) -> PlanStatus:
    """Start the work for the chips the client lacks, or join the request's running work;
    answer where each chip stands. Over the per-request limit: BadParameter (400)."""
    held = held_composites(plan)
    job = read_job(plan.job_key) or {}
    empty = set(job.get("empty", []))
    missing = [i for i in plan.items if i.key not in held and i.key not in empty]
    running = job.get("state") == "running" and job.get("age", 1e9) < STALE_JOB_SECONDS
    if missing and not running:
        limit = settings.MAX_CHIPS_PER_REQUEST
        if len(missing) > limit:
            raise TooManyChips(len(missing), limit, missing[limit - 1], limit_hint)
        new_job = {"state": "running", "total": len(plan.items), "empty": sorted(empty)}
        if _claim_job(plan.job_key, new_job):
            _start(plan, missing)
        job = read_job(plan.job_key) or new_job
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
    plan: CompositePlan, *, held: dict[str, CachedChip] | None = None, job: dict | None = None
) -> PlanStatus:
    held = held_composites(plan) if held is None else held
    job = (read_job(plan.job_key) or {}) if job is None else job
    empty = set(job.get("empty", []))
    chips = [
        ChipState(
            item=i,
            src=f"/dump/{plan.client.token}/{i.file_name}" if i.key in held else None,
            empty=i.key in empty and i.key not in held,
            cloud=_cloud_of(held[i.key]) if i.key in held else None,
        )
        for i in plan.items
    ]
    if all(c.src or c.empty for c in chips):
        return PlanStatus("done", chips)
    if job.get("state") == "failed":
        return PlanStatus("failed", chips, error=str(job.get("error", "")))
    return PlanStatus("running", chips)


def _cloud_of(record: CachedChip) -> float | None:
    """The cloud share the PNG carries in its tEXt chunk (read without decoding pixels)."""
    try:
        with Image.open(cache.store_path(record.stored_path)) as image:
            value = image.text.get("cloud_share")  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return None
    return float(value) if value not in (None, "") else None


def _start(plan: CompositePlan, missing: Sequence[PlannedComposite]) -> None:
    """Run the job beside the request: raw chips still go through the Celery task (workers
    when a broker is set), the thread only waits for them and renders (milliseconds)."""
    payload = {
        "job": plan.job_key,
        "cache_id": plan.client.pk,
        "lut": plan.request.lut,
        "items": list(missing),
    }
    thread = threading.Thread(
        target=_run_in_thread, args=(payload,), name=f"composite-{plan.job_key[:8]}", daemon=True
    )
    thread.start()


def _run_in_thread(payload: dict[str, Any]) -> None:
    close_old_connections()
    try:
        run_job(
            job_key=payload["job"],
            cache_id=payload["cache_id"],
            lut=payload["lut"],
            items=payload["items"],
        )
    finally:
        connection.close()


def run_job(*, job_key: str, cache_id: int, lut: Lut, items: Sequence[PlannedComposite]) -> None:
    """Cut, render and record each composite in date order; the job file says how far."""
    job = read_job(job_key) or {"state": "running", "total": len(items), "empty": []}
    job.pop("age", None)
    empty: set[str] = set(job.get("empty", []))
    try:
        for item in items:
            size = build_composite(item, lut=lut)
            if size:
                CachedChip.objects.update_or_create(
                    cache_id=cache_id,
                    file_name=item.file_name,
                    defaults={
                        "spec_key": item.key,
                        "stored_path": item.stored_path,
                        "scene": item.scene,
                        "band": item.specs[0].band,
                        "size_bytes": size,
                    },
                )
            else:
                empty.add(item.key)
                job["empty"] = sorted(empty)
            _write_job(job_key, job)  # also the heartbeat
        job["state"] = "done"
    except Exception as exc:  # the page must learn that it stopped, whatever the cause
        log.exception("composite job %s failed", job_key)
        job.update(state="failed", error=f"{exc.__class__.__name__}: {exc}")
    _write_job(job_key, job)


def build_composite(item: PlannedComposite, *, lut: Lut) -> int:
    """Bytes of the composite's PNG (written to the store), 0 when no band has a pixel."""
    target = cache.store_path(item.stored_path)
    if target.is_file():  # another client asked for the same composite already
        os.utime(target)
        return target.stat().st_size
    specs = [*item.specs, *([item.scl] if item.scl else [])]
    _ensure_raw(specs)
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


def _ensure_raw(specs: Sequence[ChipSpec]) -> None:
    """Cut the raw chips the shared store lacks, through the raw machinery's task."""
    todo = [s for s in specs if cache.shared_file(s) is None]
    if not todo:
        return
    result = cut_scene_chips.apply_async(args=[[s.to_dict() for s in todo]])
    result.get(timeout=settings.CHIP_REQUEST_WAIT_SECONDS)


def _read_raw(spec: ChipSpec) -> np.ndarray:
    """A raw chip's pixels; all nodata when the scene had none there (no file was cut)."""
    path = cache.store_path(cache.stored_relpath(spec))
    if not path.is_file():
        return np.full((spec.size_y, spec.size_x), spec.nodata, dtype=np.uint16)
    with rasterio.open(path) as src:
        return src.read(1)
