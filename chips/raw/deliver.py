"""The raw chip request flow: select scenes -> plan specs (chips.raw.plan) -> what the client
holds (chips.store) -> a job of one unit per scene (chips.work, cut by chips.raw.cut) ->
the answer (chips.raw.answer).

Plain functions with keyword-only arguments; the views parse parameters and call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from chips.catalogue import selection
from chips.errors import TooManyChips, fitting_windows, nothing_read
from chips.models import ChipJob, ClientCache, JobKind, JobStatus, Scene
from chips.raster.chipspec import ChipSpec
from chips.raw.answer import answer, answer_body
from chips.raw.cut import SceneWork
from chips.raw.plan import Plan, PlannedChip, plan_raw
from chips.store import cache
from chips.work import dispatch, jobs
from common.errors import BadParameter, NotFound
from ops.quotas import check_chip_quota


def raw_chips_by_location(
    *,
    user: User,
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
    keep: Callable[[list[Scene]], list[Scene]] | None = None,
) -> Delivery:
    """rawChipByLocation (and by parcel, with the parcel's centroid as the point); `keep`
    narrows the scenes (by parcel, min_clear: the parcel's clear dates)."""
    scenes = selection.select_scenes(
        lon=lon, lat=lat, chipsize=chipsize, level=level, start=start, end=end
    )
    if keep is not None:
        scenes = keep(scenes)
    if onlylist:  # nothing is cut nor opened: the catalogue answers alone
        body = {"dates": [s.sensing_key for s in scenes], "chips": [s.product_id for s in scenes]}
        return Delivery(job=None, body=body)
    square = Square(user=user, ip=ip, lon=lon, lat=lat, chipsize=chipsize)
    return deliver(
        square,
        scenes=scenes,
        bands=[band],
        batch_labels=False,
        refresh=refresh,
        shorten=Shorten(
            "end_date", "shorten the date window (start_date..end_date)", window=(start, end)
        ),  # fmt: skip
        background=background,
    )


def raw_chips_batch(
    *,
    user: User,
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
    found = selection.scenes_by_product_ids(product_ids=product_ids)
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
    square = Square(user=user, ip=ip, lon=lon, lat=lat, chipsize=chipsize)
    return deliver(
        square,
        scenes=scenes,
        bands=bands,
        batch_labels=True,
        refresh=False,
        shorten=Shorten("tiles", "ask for fewer tiles or bands"),
        background=background,
    )


@dataclass(frozen=True)
class Square:
    """Who asks (a user from an address: a client) and for which chip square."""

    user: User
    ip: str
    lon: float
    lat: float
    chipsize: int


@dataclass(frozen=True)
class Shorten:
    """How a request over the per-request limit asks for less: the parameter at fault, the
    advice, and the date window it asked (the 400 then lists the windows that fit)."""

    param: str
    hint: str
    window: tuple[dt.date, dt.date] | None = None


@dataclass(frozen=True)
class Delivery:
    """A chip request's outcome: the answer, or (body None) the job still running.
    `cut` and `cached` count chips for the request log."""

    job: ChipJob | None
    body: dict[str, Any] | None
    cut: int = 0
    cached: int = 0


def _missing(
    client: ClientCache, planned: Sequence[PlannedChip], *, refresh: bool
) -> tuple[dict[str, cache.HeldFile], list[PlannedChip]]:
    """(held records, chips still to cut) of the plan."""
    held = {} if refresh else cache.held_chips(cache=client, specs=[p.spec for p in planned])
    return held, [p for p in planned if p.spec.key not in held]


def deliver(
    square: Square,
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    batch_labels: bool,
    refresh: bool,
    shorten: Shorten,
    background: bool = False,
    limit: int | None = None,
) -> Delivery:
    """Give the client a chip of each band of each scene (chips.raw.plan): join the same
    request's running job if there is one; else reuse what the client holds and start a
    job for the rest (at most MAX_CHIPS_PER_REQUEST, one unit per scene; over it, a 400
    saying how to `shorten` the request). Wait for it up to CHIP_REQUEST_WAIT_SECONDS (not
    at all when `background`); the answer lists dates and /dump/ paths in plan order."""
    plan = plan_raw(scenes=scenes, bands=bands, lon=square.lon, lat=square.lat,
                    chipsize=square.chipsize, batch_labels=batch_labels)  # fmt: skip
    return deliver_plan(
        square, plan, refresh=refresh, shorten=shorten, background=background, limit=limit
    )


def deliver_plan(
    square: Square,
    plan: Plan,
    *,
    refresh: bool,
    shorten: Shorten,
    background: bool = False,
    limit: int | None = None,
) -> Delivery:
    """`deliver` of chips already planned (Sentinel-1's products plan their own grids:
    chips.raw.s1)."""
    lon, lat, chipsize = square.lon, square.lat, square.chipsize
    planned, failed = plan.chips, plan.failed
    client = cache.client_cache(
        user=square.user,
        ip=square.ip,
        square=cache.square_key(lon=lon, lat=lat, chipsize=chipsize),
    )
    key = jobs.job_key(
        kind=JobKind.RAW, token=client.token, keys=[p.spec.key for p in planned], refresh=refresh
    )
    held, missing = _missing(client, planned, refresh=refresh)
    # Everything held answers at once (a warm request: no job look-up); a job of the same
    # key may only be finishing its bookkeeping then, and would answer the same.
    running = jobs.live_job(key) if missing else None
    if running is not None:  # a reload or a repeat: join, never a second extraction
        joined = _settle(running, background=background)
        if joined.job is None or not jobs.lost(joined.job):
            return joined
        # Its owner died while we waited (chips.work.liveness): redo what it left undone.
        held, missing = _missing(client, planned, refresh=False)
    if missing and not refresh:
        # The same work may have finished between our look at the cache and our look for
        # its job (its chips are recorded before it closes): look at the cache once more
        # rather than open a second job for chips that are there now.
        held = cache.held_chips(cache=client, specs=[p.spec for p in missing]) | held
        missing = [p for p in planned if p.spec.key not in held]
    limit = settings.MAX_CHIPS_PER_REQUEST if limit is None else limit
    if len(missing) > limit:
        window = shorten.window
        raise TooManyChips(
            len(missing),
            limit,
            hint=shorten.hint,
            param=shorten.param,
            windows=_windows(missing, window, limit) if window else None,
        )
    if not missing:
        entries = [
            (p.label, cache.dump_url(client.token, p.spec.file_name))
            for p in planned
            if p.spec.key in held
        ]
        body = answer_body(entries=entries, failed=failed or {})
        return Delivery(job=None, body=body, cached=len(held))
    check_chip_quota(user=square.user, ip=square.ip, chips_to_cut=len(missing))
    job, created = _start(key, client, planned, missing, failed, refresh, background)
    return _settle(job, background=background, cut=len(missing) if created else 0, cached=len(held))


def _windows(
    missing: Sequence[PlannedChip], window: tuple[dt.date, dt.date], limit: int
) -> list[tuple[str, str]]:
    days = sorted(p.scene.sensing_time.astimezone(dt.UTC).date() for p in missing)
    return fitting_windows(days, start=window[0], end=window[1], limit=limit)


def _start(
    key: str,
    client: ClientCache,
    planned: Sequence[PlannedChip],
    missing: Sequence[PlannedChip],
    failed: dict[str, str] | None,
    refresh: bool,
    background: bool,
) -> tuple[ChipJob, bool]:
    """Open the request's job (or join the one another request opened first) and, if it
    is ours, submit its units: one per scene."""
    job, created = jobs.open_or_join(
        key,
        kind=JobKind.RAW,
        cache=client,
        entries=[jobs.Entry(p.label, p.spec.key, p.spec.file_name) for p in planned],
        done=len(planned) - len(missing),
        errors=failed,
        refresh=refresh,
        owner=dispatch.owner(),
    )
    if created:
        per_scene: dict[tuple[int, bool], list[ChipSpec]] = {}
        for item in missing:
            per_scene.setdefault((item.scene.pk, item.spec.sar), []).append(item.spec)
        units = [
            SceneWork(pk, tuple(specs), sar).unit(refresh=refresh)
            for (pk, sar), specs in per_scene.items()
        ]
        dispatch.submit(job, units, background=background)
    return job, created


def _settle(job: ChipJob, *, background: bool, cut: int = 0, cached: int = 0) -> Delivery:
    """Wait for the job (unless `background`); its answer once over. A job none of whose
    chips could be cut is the archive (or the store) failing: 503."""
    if not background:
        job = jobs.wait(job, timeout=settings.CHIP_REQUEST_WAIT_SECONDS)
    if job.status == JobStatus.RUNNING:
        return Delivery(job=job, body=None, cut=cut, cached=cached)
    body = answer(job)
    if body.get("errors"):
        nothing_read(body["errors"], made=any(body["chips"]))
    return Delivery(job=job, body=body, cut=cut, cached=cached)
