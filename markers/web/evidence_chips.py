"""The chips of an evidence page: the parcel's composites (chips.composite, the flow of
chipsByParcelID: planned for the caller's cache, made through the work layer, outlined) on
the acquisitions that bracket its events, waited for up to CHIP_REQUEST_WAIT_SECONDS so
that the page (and its PDF) shows them. Nothing is rendered here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from rest_framework.request import Request

from chips.composite.plan import CompositeRequest, plan_composites
from chips.composite.status import cloud_text, held_composites, plan_status
from chips.composite.work import ensure_work
from chips.errors import TooManyChips
from chips.models import ChipJob, Scene
from chips.store.cache import store_path
from chips.web import serializers as chip_params
from chips.web.api import caller
from chips.work import jobs
from common.errors import ArchiveUnavailable
from ops.client_ip import client_ip
from parcels.models import Parcel


@dataclass(frozen=True)
class Chip:
    date: str  # ISO date of the acquisition
    product: str
    src: str | None  # /dump/ URL in the caller's cache once made
    path: Path | None  # the PNG in the chip store (the PDF embeds it)
    cloud: str  # the chip's cloud share, e.g. "12 %" ('' when unknown)


def _query(parcel: Parcel, start: dt.date, end: dt.date) -> QueryDict:
    dataset = parcel.dataset
    q = QueryDict(mutable=True)
    q.update({"aoi": dataset.aoi, "year": str(dataset.year), "pid": parcel.pid,
              "start_date": start.isoformat(), "end_date": end.isoformat()})  # fmt: skip
    if dataset.ptype:
        q["ptype"] = dataset.ptype
    return q


def bracket_chips(
    request: Request, parcel: Parcel, days: set[dt.date]
) -> tuple[dict[str, Chip], str]:
    """{ISO date: chip} of the parcel on `days` (chipsByParcelID's defaults: bands, stretch,
    chip size), and '' or why some are missing."""
    if not days:
        return {}, ""

    def keep(scenes: list[Scene]) -> list[Scene]:
        return [s for s in scenes if s.sensing_time.astimezone(dt.UTC).date() in days]

    chips, note = _made(request, parcel, min(days), max(days), keep=keep)
    missing = sorted(d.isoformat() for d in days if d.isoformat() not in chips)
    gaps = f"no chip on {', '.join(missing)}" if missing else ""
    return chips, "; ".join(n for n in (gaps, note) if n)


def s1_chips(
    request: Request, parcel: Parcel, start: dt.date, end: dt.date
) -> tuple[Chip | None, Chip | None, str]:
    """The Sentinel-1 backscatter composites (plevel CARD-BS, chipsByParcelID's flow and
    defaults) of the last pass on or before `start` and the first on or after `end` (an
    S1 event's bracket), looked for within a revisit (12 days) around it."""
    chips, note = _made(request, parcel, start - dt.timedelta(days=12),
                        end + dt.timedelta(days=12), plevel="CARD-BS")  # fmt: skip
    before = [c for d, c in sorted(chips.items()) if d <= start.isoformat()]
    after = [c for d, c in sorted(chips.items()) if d >= end.isoformat()]
    return (before[-1] if before else None), (after[0] if after else None), note


def _made(
    request: Request, parcel: Parcel, start: dt.date, end: dt.date, *,
    keep: Callable[[list[Scene]], list[Scene]] | None = None, plevel: str | None = None,
) -> tuple[dict[str, Chip], str]:  # fmt: skip
    """{ISO date: chip} of the parcel's composites in [start, end] made through the
    composite flow (waited for), and '' or the flow's error."""
    query = _query(parcel, start, end)
    if plevel:
        query["plevel"] = plevel
    values = chip_params.ChipsByParcelQuery.validated(query)
    for name in ("dataset", "pid", "min_clear"):
        values.pop(name)
    centre = parcel.centroid
    composite = CompositeRequest(lon=centre.x, lat=centre.y, outline_wkt=parcel.geom.wkt,
                                 **values)  # fmt: skip
    try:
        plan = plan_composites(user=caller(request), ip=client_ip(request), request=composite,
                               keep=keep)  # fmt: skip
        status = ensure_work(plan, limit_hint="the chips of the first events are shown")
    except (TooManyChips, ArchiveUnavailable) as exc:
        return {}, str(exc)
    if status.state == "running" and status.job_id:
        job = ChipJob.objects.get(pk=status.job_id)
        job = jobs.wait(job, timeout=settings.CHIP_REQUEST_WAIT_SECONDS)
        status = plan_status(plan, held=held_composites(plan), job=job)
    chips: dict[str, Chip] = {}
    for state in status.chips:
        item = state.item
        path = store_path(item.stored_path) if state.src else None
        held = path if path is not None and path.is_file() else None
        cloud = cloud_text(state.facts.cloud) or ""
        chips.setdefault(item.date, Chip(item.date, item.scene.product_id, state.src, held, cloud))
    return chips, status.error or ""
