"""Planning a raw chip request: one chip per scene and band, in answer order, on the planner
core (chips.catalogue.planning)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chips.catalogue.memo import Memo
from chips.catalogue.models import Scene
from chips.catalogue.planning import plan_chip, scene_assets
from chips.catalogue.sar_models import SarScene
from chips.errors import nothing_read
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError


@dataclass(frozen=True)
class PlannedChip:
    """One entry of an answer: its date label, its scene and what to cut."""

    label: str
    scene: Scene | SarScene
    spec: ChipSpec


@dataclass(frozen=True)
class Plan:
    """The chips of a request in answer order, and {label: reason} of those whose band
    file could not even be opened to place the window."""

    chips: list[PlannedChip]
    failed: dict[str, str]


# Plans that placed every chip, by (catalogue number, scenes, bands, square, labels): a
# warm request's plan without the asset query and the window arithmetic (the same scenes
# and band files give the same windows). A plan with a failure is never kept: the file may
# be readable next time.
planned = Memo(limit=128)


def plan_raw(
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> Plan:
    key = (tuple((s.pk, s.product_id) for s in scenes), tuple(bands), lon, lat, chipsize,
           batch_labels)  # fmt: skip

    def compute() -> tuple[tuple[PlannedChip, ...], dict[str, str]]:
        plan = _plan(scenes=scenes, bands=bands, lon=lon, lat=lat, chipsize=chipsize,
                     batch_labels=batch_labels)  # fmt: skip
        return tuple(plan.chips), plan.failed

    chips, failed = planned.through(key, compute, keep=lambda answer: not answer[1])
    return Plan(list(chips), dict(failed))


def _plan(
    *,
    scenes: Sequence[Scene],
    bands: Sequence[str],
    lon: float,
    lat: float,
    chipsize: int,
    batch_labels: bool,
) -> Plan:
    assets = scene_assets(scenes, bands)
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
    nothing_read(plan.failed.values(), made=bool(plan.chips))
    return plan
