"""The raw chip request flow: select scenes -> plan specs -> cache check -> cut -> record.

Plain functions with keyword-only arguments; the views parse parameters and call these.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from cbmweb.errors import BackendUnavailable, BadParameter, NotFound
from ops.quotas import check_chip_quota

from . import cache, catalogue, jobs, tasks
from .chipspec import ChipSpec
from .errors import ChipError
from .extract import band_grid, snap_window
from .models import Asset, ChipJob, JobStatus, Level, Scene


@dataclass(frozen=True)
class PlannedChip:
    """One entry of an answer: its date label, its scene and what to cut."""

    label: str
    scene: Scene
    spec: ChipSpec


def scene_tags(scene: Scene, band: str) -> tuple[tuple[str, str], ...]:
    """The GeoTIFF tags of a chip: enough to trace it back to its product."""
    tags = [
        ("PRODUCT", scene.product_id),
        ("SENSING_TIME", scene.sensing_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("BAND", band),
        ("TILE", scene.tile),
        ("PROCESSING_BASELINE", scene.processing_baseline),
        ("LEVEL", scene.level),
    ]
    if scene.radiometric_offset:
        name = "BOA_ADD_OFFSET" if scene.level == Level.L2A else "RADIO_ADD_OFFSET"
        tags.append((name, str(scene.radiometric_offset)))
    return tuple(tags)


def asset_grid(asset: Asset) -> tuple[float, float, float, float, float, float]:
    """The affine of an asset's band file: from the catalogue when known, else from the
    file's header (kept in the process; `_plan` then stores it in the catalogue)."""
    if asset.grid:
        return tuple(asset.grid[:6])  # type: ignore[return-value]
    return band_grid(asset.href).transform


def plan_chip(*, scene: Scene, asset: Asset, lon: float, lat: float, chipsize: int) -> ChipSpec:
    """The spec of a scene's chip: the point in the scene's own CRS (the hemisphere comes
    with the scene's EPSG), the window snapped on the band file's own grid."""
    x, y = catalogue.lonlat_to(scene.epsg, lon, lat)
    grid = asset_grid(asset)
    col_off, row_off, size_x, size_y = snap_window(grid, x=x, y=y, chipsize=chipsize)
    return ChipSpec(
        product_id=scene.product_id,
        band=asset.band,
        href=asset.href,
        epsg=scene.epsg,
        grid=grid,
        col_off=col_off,
        row_off=row_off,
        size_x=size_x,
        size_y=size_y,
        tags=scene_tags(scene, asset.band),
    )


def _assets(scenes: Sequence[Scene], bands: Sequence[str]) -> dict[tuple[int, str], Asset]:
    rows = Asset.objects.filter(scene__in=[s.pk for s in scenes], band__in=list(bands))
    return {(a.scene_id, a.band): a for a in rows}


@dataclass(frozen=True)
class Plan:
    """The chips of a request in answer order, and {label: reason} of those whose band
    file could not even be opened to place the window."""

    chips: list[PlannedChip]
    failed: dict[str, str]


def read_grids(hrefs: Sequence[str]) -> None:
    """Open the headers of band files not seen yet, a few at a time: a cold request on
    many scenes spends most of its planning waiting on opens (GDAL releases the GIL)."""
    if len(hrefs) < 2:
        return

    def grid(href: str) -> None:
        with contextlib.suppress(ChipError):  # planning the scene says it again, for its date
            band_grid(href)

    with ThreadPoolExecutor(max_workers=min(tasks.CUT_THREADS, len(hrefs))) as pool:
        list(pool.map(grid, hrefs))


def learn_grids(assets: Sequence[Asset]) -> None:
    """Give assets whose grid the catalogue does not hold yet their file's grid, and store
    it: the next request plans their chips without opening any file (in any process).
    An unreadable file is left without (planning its chip reports why)."""
    unknown = [a for a in assets if not a.grid]
    if not unknown:
        return
    read_grids(list(dict.fromkeys(a.href for a in unknown)))
    learnt = []
    for asset in unknown:
        try:
            grid = band_grid(asset.href)
        except ChipError:
            continue
        asset.grid = [*grid.transform, grid.width, grid.height]
        learnt.append(asset)
    if learnt:
        Asset.objects.bulk_update(learnt, ["grid"])


def _plan(
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> Plan:
    assets = _assets(scenes, bands)
    learn_grids(list(assets.values()))
    plan = Plan([], {})
    for scene in scenes:
        for band in bands:
            asset = assets.get((scene.pk, band))
            if asset is None:  # a product ingested without this band: no chip to give
                continue
            label = f"{scene.sensing_key}_{band}" if batch_labels else scene.sensing_key
            try:
                spec = plan_chip(scene=scene, asset=asset, lon=lon, lat=lat, chipsize=chipsize)
            except ChipError as exc:
                plan.failed[label] = str(exc)
                continue
            plan.chips.append(PlannedChip(label, scene, spec))
    if plan.failed and not plan.chips:
        reason = next(iter(plan.failed.values()))
        raise BackendUnavailable(f"chip archive unavailable: {reason}")
    return plan


def raw_chips_by_location(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    start: dt.date,
    end: dt.date,
    band: str,
    chipsize: int,
    level: str,
    refresh: bool = False,
    onlylist: bool = False,
    background: bool = False,
) -> Delivery:
    """rawChipByLocation (and by parcel, with the parcel's centroid as the point)."""
    scenes = catalogue.select_scenes(
        lon=lon, lat=lat, chipsize=chipsize, level=level, start=start, end=end
    )
    if onlylist:  # nothing is cut nor opened: the catalogue answers alone
        body = {"dates": [s.sensing_key for s in scenes], "chips": [s.product_id for s in scenes]}
        return Delivery(job=None, body=body)
    plan = _plan(
        scenes=scenes, bands=[band], lon=lon, lat=lat, chipsize=chipsize, batch_labels=False
    )
    return deliver(
        user=user,
        ip=ip,
        lon=lon,
        lat=lat,
        chipsize=chipsize,
        planned=plan.chips,
        failed=plan.failed,
        refresh=refresh,
        limit_param="end_date",
        limit_hint="shorten the date window (start_date..end_date)",
        background=background,
    )


def raw_chips_batch(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    product_ids: Sequence[str],
    bands: Sequence[str],
    chipsize: int,
    level: str | None,
    background: bool = False,
) -> Delivery:
    """rawChipsBatch: every asked product x band, and only those."""
    found = catalogue.scenes_by_product_ids(product_ids=product_ids)
    asked = [p.removesuffix(".SAFE") for p in product_ids]
    unknown = [p for p in asked if p not in found]
    if unknown:
        raise NotFound(f"unknown products: {', '.join(unknown[:5])}", param="tiles")
    scenes = sorted(
        {found[p].pk: found[p] for p in asked}.values(),
        key=lambda s: (s.sensing_time, s.product_id),
    )
    for scene in scenes:
        if level is not None and scene.level != level:
            raise BadParameter(f"{scene.product_id} is not {level}", param="tiles")
    plan = _plan(scenes=scenes, bands=bands, lon=lon, lat=lat, chipsize=chipsize, batch_labels=True)
    return deliver(
        user=user,
        ip=ip,
        lon=lon,
        lat=lat,
        chipsize=chipsize,
        planned=plan.chips,
        failed=plan.failed,
        refresh=False,
        limit_param="tiles",
        limit_hint="ask for fewer tiles or bands",
        background=background,
    )


@dataclass(frozen=True)
class Delivery:
    """A chip request's outcome: the answer, or (body None) the job still running.
    `cut` and `cached` count chips for the request log."""

    job: ChipJob | None
    body: dict[str, Any] | None
    cut: int = 0
    cached: int = 0


def deliver(
    *,
    user: AbstractBaseUser,
    ip: str,
    lon: float,
    lat: float,
    chipsize: int,
    planned: Sequence[PlannedChip],
    refresh: bool,
    limit_param: str,
    limit_hint: str,
    failed: dict[str, str] | None = None,
    background: bool = False,
) -> Delivery:
    """Give the client every planned chip: join the same request's running job if there
    is one; else reuse what the client holds and start a job for the rest (at most
    MAX_CHIPS_PER_REQUEST, one task per scene). Wait for it up to CHIP_REQUEST_WAIT_SECONDS
    (not at all when `background`); the answer lists dates and /dump/ paths in plan order."""
    client = cache.client_cache(
        user=user, ip=ip, square=cache.square_key(lon=lon, lat=lat, chipsize=chipsize)
    )
    key = jobs.job_key(
        kind="raw", token=client.token, chip_keys=[p.spec.key for p in planned], refresh=refresh
    )
    held = {} if refresh else cache.held_chips(cache=client, specs=[p.spec for p in planned])
    missing = [p for p in planned if p.spec.key not in held]
    # Everything held answers at once (a warm request: no job look-up); a job of the same
    # key may only be finishing its bookkeeping then, and would answer the same.
    running = jobs.live_job(key) if missing else None
    if running is not None:  # a reload or a repeat: join, never a second extraction
        return _settle(running, background=background)
    if missing and not refresh:
        # The same work may have finished between our look at the cache and our look for
        # its job (its chips are recorded before it closes): look at the cache once more
        # rather than open a second job for chips that are there now.
        held = cache.held_chips(cache=client, specs=[p.spec for p in missing]) | held
        missing = [p for p in planned if p.spec.key not in held]
    limit = settings.MAX_CHIPS_PER_REQUEST
    if len(missing) > limit:
        raise BadParameter(
            f"{len(missing)} chips to cut, at most {limit} per request (chips already in "
            f"your cache do not count): {limit_hint}, then ask for the rest",
            param=limit_param,
        )
    if not missing:
        body = jobs.answer_body(
            entries=[
                (p.label, f"/dump/{client.token}/{p.spec.file_name}")
                for p in planned
                if p.spec.key in held
            ],
            failed=failed or {},
        )
        return Delivery(job=None, body=body, cached=len(held))
    check_chip_quota(user=user, ip=ip, chips_to_cut=len(missing))
    per_scene: dict[int, list[ChipSpec]] = {}
    for item in missing:
        per_scene.setdefault(item.scene.pk, []).append(item.spec)
    job, created = jobs.open_job(
        key=key,
        kind="raw",
        cache=client,
        plan=[(p.label, p.spec.key, p.spec.file_name) for p in planned],
        total=len(planned),
        done=len(planned) - len(missing),
        errors=failed,
    )
    if created:
        work = [tasks.SceneWork(pk, tuple(specs)) for pk, specs in per_scene.items()]
        tasks.run_job(job, work, refresh=refresh, background=background)
    return _settle(job, background=background, cut=len(missing) if created else 0, cached=len(held))


def _settle(job: ChipJob, *, background: bool, cut: int = 0, cached: int = 0) -> Delivery:
    """Wait for the job (unless `background`); its answer once over. A job none of whose
    chips could be cut is the archive (or the store) failing: 503."""
    if not background:
        job = jobs.wait(job, timeout=settings.CHIP_REQUEST_WAIT_SECONDS)
    if job.status == JobStatus.RUNNING:
        return Delivery(job=job, body=None, cut=cut, cached=cached)
    body = jobs.answer(job)
    if body.get("errors") and not any(body["chips"]):
        reason = next(r for r in body["errors"] if r)
        raise BackendUnavailable(f"chip archive unavailable: {reason}")
    return Delivery(job=job, body=body, cut=cut, cached=cached)


def job_url(job: ChipJob) -> str:
    return f"/query/jobs/{job.pk}"


def job_of(*, user: AbstractBaseUser, job_id: str) -> ChipJob:
    """A job of this user (another user's job is as unknown as a missing one)."""
    try:
        job = ChipJob.objects.select_related("cache").filter(pk=job_id, user=user).first()
    except (ValueError, ValidationError):  # not a job id at all
        job = None
    if job is None:
        raise NotFound("no such job", param="job")
    return job
