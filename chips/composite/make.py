"""Making composites: their band windows read straight from the source files and rendered
to PNGs in CHIP_STORE/png/ (chips.raster.composite_source), recorded in the job's client
cache and reported. One composite per task on a worker (make_composite); a whole job at once
on the in-process cut pool without a broker (make_composites). No raw chip is written on
the way; raw chips another request cut are read instead of the source."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from chips import cache, jobs
from chips.composite.params import parse_lut
from chips.composite.plan import PlannedComposite
from chips.cutting import on_pool_as_done
from chips.models import ChipJob, Scene
from chips.raster.chipspec import ChipSpec
from chips.raster.composite_source import CompositeSource, CompositeWork, make_png_reporting
from chips.raster.errors import ChipError
from chips.raster.render import Lut

log = logging.getLogger(__name__)


def make_composite(job: ChipJob, message: dict[str, Any]) -> None:
    """Make, record and report one composite of a job, here (a task's body)."""
    scene = Scene.objects.get(pk=message["scene_id"])
    item = planned(message, scene)
    try:
        size = build_composite(
            item, lut=parse_lut(job.options.get("lut")), refresh=bool(message.get("refresh"))
        )
    except ChipError as exc:
        report(job, [(item, str(exc))])
        return
    report(job, [(item, size)])


def make_composites(job: ChipJob, messages: Sequence[dict[str, Any]]) -> None:
    """Make a job's composites at once on the in-process cut pool (no broker), reporting
    them as they come: those that finish together in one report."""
    lut = parse_lut(job.options.get("lut"))
    scenes = Scene.objects.in_bulk([m["scene_id"] for m in messages])
    todo: list[tuple[PlannedComposite, CompositeWork]] = []
    for message in messages:
        item = planned(message, scenes[message["scene_id"]])
        work = composite_work(item, lut=lut, refresh=bool(message.get("refresh")))
        if work is None:  # another client's request made it meanwhile
            report(job, [(item, cache.store_path(item.stored_path).stat().st_size)])
        else:
            todo.append((item, work))
    for batch in on_pool_as_done(make_png_reporting, [w for _, w in todo]):
        report(job, [(todo[i][0], _logged(todo[i][0], result)) for i, result in batch])


def planned(message: dict[str, Any], scene: Scene) -> PlannedComposite:
    """A composite of a task message (chips.composite.work.composite_message)."""
    red, green, blue = (ChipSpec.from_dict(d) for d in message["specs"])
    scl = ChipSpec.from_dict(message["scl"]) if message["scl"] else None
    return PlannedComposite(scene, (red, green, blue), scl, message["key"], message["outline"])


def build_composite(item: PlannedComposite, *, lut: Lut, refresh: bool = False) -> int:
    """Bytes of the composite's PNG (written to the store), 0 when no band has a pixel.
    With `refresh` the PNG is made again from the source files."""
    work = composite_work(item, lut=lut, refresh=refresh)
    if work is None:
        return cache.store_path(item.stored_path).stat().st_size
    result = _logged(item, make_png_reporting(work))
    if isinstance(result, str):
        raise ChipError(result)  # the maker's message: "cannot read <href>: <why>"
    return result


def composite_work(item: PlannedComposite, *, lut: Lut, refresh: bool) -> CompositeWork | None:
    """What the maker needs, as plain values; None if the store holds the PNG already
    (another client asked for the same composite) and `refresh` is off."""
    target = cache.store_path(item.stored_path)
    if not refresh and target.is_file():
        os.utime(target)  # a flush running now leaves it alone
        return None
    red, green, blue = (_source(s, refresh) for s in item.specs)
    return CompositeWork(
        bands=(red, green, blue),
        scl=_source(item.scl, refresh) if item.scl else None,
        lut=lut,
        outline_wkt=item.outline_native_wkt,
        text=(("product", item.scene.product_id), ("bands", "_".join(s.band for s in item.specs))),
        target=str(target),
    )


def report(job: ChipJob, outcomes: Sequence[tuple[PlannedComposite, int | str]]) -> None:
    """Record and report composites: (item, bytes written, 0 for no pixel, or why not)."""
    records = [
        jobs.ChipRecord(
            file_name=item.file_name,
            spec_key=item.key,
            stored_path=item.stored_path,
            scene_id=item.scene.pk,
            band=item.specs[0].band,
            size_bytes=result,
        )
        for item, result in outcomes
        if isinstance(result, int) and result > 0
    ]
    jobs.report_scene(
        job.pk,
        chip_keys=[item.key for item, _ in outcomes],
        records=records,
        failed={item.key: r for item, r in outcomes if isinstance(r, str)},
        empty=[item.key for item, r in outcomes if r == 0],
    )


def _source(spec: ChipSpec, refresh: bool) -> CompositeSource:
    """A band's window from its raw chip if another request cut it, else from the source."""
    held = None if refresh else cache.shared_file(spec)
    return CompositeSource(spec, str(held) if held is not None else None)


def _logged(item: PlannedComposite, result: int | str) -> int | str:
    # One line per composite made: operators (and the tests) count renders with it.
    if isinstance(result, str):
        log.warning("composite %s (%s): %s", item.key, item.scene.product_id, result)
    else:
        log.info("rendered composite %s (%s) from its sources", item.key, item.scene.product_id)
    return result
