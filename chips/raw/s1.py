"""The Sentinel-1 raw chip flow: rawS1ChipsBatch and the S2 chip endpoints with
plevel=CARD-BS|CARD-COH6. Products -> one chip per product and polarisation on the
product's own grid (chips.catalogue.sar_selection) -> the same delivery as every raw chip
(the client's cache, a raw job of one unit per product, chips.raw.deliver).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User

from chips.catalogue import sar_selection
from chips.catalogue.sar_models import SarScene
from chips.errors import nothing_read
from chips.raster.errors import ChipError
from chips.raw.deliver import Delivery, Shorten, Square, deliver_plan
from chips.raw.plan import Plan, PlannedChip
from common.errors import BadParameter

BOTH = ("VH", "VV")  # answer order per product: VH before VV


def plan_s1(
    *,
    scenes: Sequence[SarScene],
    polarisations: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> Plan:
    """One chip per product and polarisation; a product lacking one of the polarisations
    asked gives none (an acquisition has both or neither)."""
    assets = sar_selection.assets_of(scenes, polarisations)
    plan = Plan([], {})
    for scene in scenes:
        if any((scene.pk, p) not in assets for p in polarisations):
            continue
        for pol in polarisations:
            label = f"{scene.sensing_key}_{pol}" if batch_labels else scene.sensing_key
            try:
                spec = sar_selection.plan_chip(
                    scene=scene, asset=assets[scene.pk, pol], lon=lon, lat=lat, chipsize=chipsize
                )
            except ChipError as exc:
                plan.failed[label] = str(exc)
                continue
            plan.chips.append(PlannedChip(label, scene, spec))
    nothing_read(plan.failed.values(), made=bool(plan.chips))
    return plan


def s1_chips(
    *,
    user: User,
    ip: str,
    lon: float,
    lat: float,
    start: dt.date,
    end: dt.date,
    chipsize: int,
    kind: str,
    polarisations: Sequence[str] = BOTH,
    orbit_direction: str | None = None,
    relative_orbit: int | None = None,
    batch: bool = True,
    refresh: bool = False,
    onlylist: bool = False,
    background: bool = False,
) -> Delivery:
    """The chips of every pass over the point in the window. `batch`: rawS1ChipsBatch
    (labels <start>_<pol>, at most MAX_S1_PRODUCTS_PER_REQUEST products); otherwise the
    S2 endpoints' way (one polarisation, labels <start>, MAX_CHIPS_PER_REQUEST chips)."""
    scenes = sar_selection.select(lon=lon, lat=lat, chipsize=chipsize, kind=kind, start=start,
                                  end=end, orbit_direction=orbit_direction,
                                  relative_orbit=relative_orbit)  # fmt: skip
    if onlylist:
        body = {"dates": [s.sensing_key for s in scenes], "chips": [s.product_id for s in scenes]}
        return Delivery(job=None, body=body)
    limit = settings.MAX_S1_PRODUCTS_PER_REQUEST
    if batch and len(scenes) > limit:
        raise BadParameter(
            f"{len(scenes)} Sentinel-1 products in the window, at most {limit} per request: "
            "shorten the dates (or filter by orbit_direction / relative_orbit)",
            param="dates",
        )
    plan = plan_s1(scenes=scenes, polarisations=polarisations, lon=lon, lat=lat,
                   chipsize=chipsize, batch_labels=batch)  # fmt: skip
    return deliver_plan(
        Square(user=user, ip=ip, lon=lon, lat=lat, chipsize=chipsize),
        plan,
        refresh=refresh,
        shorten=Shorten(
            "dates" if batch else "end_date",
            "shorten the date window",
            window=None if batch else (start, end),
        ),  # fmt: skip
        background=background,
        limit=len(polarisations) * limit if batch else None,
    )
