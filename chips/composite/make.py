"""Making composites, the unit of a composite job: their band windows read straight from
the source files and rendered to PNGs in CHIP_STORE/png/ (chips.raster.composite_source),
recorded in the job's client cache and reported. One composite per task on a worker; a whole
job at once on the in-process cut pool without a broker, reported as they come. No raw chip
is written on the way; raw chips another request cut are read instead of the source."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from chips.composite.params import parse_lut
from chips.composite.plan import PlannedComposite
from chips.models import ChipJob, JobKind, SarScene, Scene
from chips.raster.chipspec import ChipSpec
from chips.raster.composite_source import CompositeSource, CompositeWork, make_png_reporting
from chips.raster.errors import ChipError
from chips.raster.render import Lut
from chips.store import cache
from chips.work import pool
from chips.work.units import Outcome, Reported, Unit, runner

log = logging.getLogger(__name__)


def composite_unit(item: PlannedComposite) -> Unit:
    """A planned composite as a unit of work (plain values, for a task message)."""
    payload = {
        "sar": item.specs[0].sar,
        "scene_id": item.scene.pk,
        "specs": [s.to_dict() for s in item.specs],
        "scl": item.scl.to_dict() if item.scl else None,
        "key": item.key,
        "outline": item.outline_native_wkt,
    }
    return Unit(JobKind.COMPOSITE, (item.key,), payload)


def planned(payload: dict[str, Any], scene: Scene | SarScene) -> PlannedComposite:
    """A composite of a unit (composite_unit)."""
    red, green, blue = (ChipSpec.from_dict(d) for d in payload["specs"])
    scl = ChipSpec.from_dict(payload["scl"]) if payload["scl"] else None
    return PlannedComposite(scene, (red, green, blue), scl, payload["key"], payload["outline"])


Made = tuple[Unit, PlannedComposite, "int | ChipError"]


@runner(JobKind.COMPOSITE)
def make_units(job: ChipJob, units: Sequence[Unit]) -> Iterator[Reported]:
    """Make a job's composites (at once on the cut pool when there are several), recording
    and reporting them as they come: those that finish together in one report. A PNG the
    store holds whole already (another client asked for it) is reused unless `refresh`."""
    lut = parse_lut(job.lut or None)
    scenes = Scene.objects.in_bulk([u.payload["scene_id"] for u in units if not _sar(u)])
    sar_scenes = SarScene.objects.in_bulk([u.payload["scene_id"] for u in units if _sar(u)])
    items = [
        (u, planned(u.payload, (sar_scenes if _sar(u) else scenes)[u.payload["scene_id"]]))
        for u in units
    ]
    for u, _ in items:
        log.info("job %s: composite of scene %s", job.pk, u.payload["scene_id"])
    shared = {} if job.refresh else cache.shared_files([(i.key, i.stored_path) for _, i in items])
    reused: list[Made] = [(u, i, shared[i.key][1]) for u, i in items if i.key in shared]
    making = [(u, i) for u, i in items if i.key not in shared]
    raw = {} if job.refresh else raw_chips([i for _, i in making])
    todo = [(u, i, composite_work(i, lut=lut, raw=raw)) for u, i in making]
    if reused:
        yield _record(job, reused)
    for batch in pool.as_done(make_png_reporting, [w for _, _, w in todo]):
        yield _record(job, [(todo[n][0], todo[n][1], _logged(todo[n][1], r)) for n, r in batch])


def _sar(unit: Unit) -> bool:
    return bool(unit.payload.get("sar"))


def raw_chips(items: Sequence[PlannedComposite]) -> dict[str, str]:
    """{spec key: path} of the raw chips of these composites that another request cut
    (whole): read instead of the source."""
    specs = [s for i in items for s in (*i.specs, *([i.scl] if i.scl else []))]
    shared = cache.shared_files([(s.key, cache.stored_relpath(s)) for s in specs])
    return {key: str(path) for key, (path, _) in shared.items()}


def composite_work(
    item: PlannedComposite, *, lut: Lut, raw: dict[str, str] | None = None
) -> CompositeWork:
    """What the maker needs, as plain values; a band's window from its raw chip if `raw`
    holds one, else from the source file."""
    target = cache.store_path(item.stored_path)
    raw = raw or {}
    red, green, blue = (CompositeSource(s, raw.get(s.key)) for s in item.specs)
    return CompositeWork(
        bands=(red, green, blue),
        scl=CompositeSource(item.scl, raw.get(item.scl.key)) if item.scl else None,
        lut=lut,
        outline_wkt=item.outline_native_wkt,
        text=(("product", item.scene.product_id), ("bands", "_".join(s.band for s in item.specs))),
        target=str(target),
        recipe=item.scene.kind if isinstance(item.scene, SarScene) else "",
    )


def _record(job: ChipJob, made: Sequence[Made]) -> Reported:
    """Record composites (bytes written; 0: no pixel, nothing to hold) in the job's client
    cache; their outcomes to report."""
    assert job.cache_id is not None  # a composite job is a client's
    records = [
        cache.ChipRecord(
            file_name=item.file_name,
            spec_key=item.key,
            stored_path=item.stored_path,
            scene_id=None if isinstance(item.scene, SarScene) else item.scene.pk,
            sar_scene_id=item.scene.pk if isinstance(item.scene, SarScene) else None,
            band=item.specs[0].band,
            size_bytes=result,
        )
        for _, item, result in made
        if isinstance(result, int) and result > 0
    ]
    cache.record_chips(records, cache_id=job.cache_id)
    return [(unit, _outcome(item, result)) for unit, item, result in made]


def _outcome(item: PlannedComposite, result: int | ChipError) -> Outcome:
    if isinstance(result, ChipError):
        return Outcome(failed={item.key: str(result)})
    return Outcome(empty=[item.key] if result == 0 else [])


def _logged(item: PlannedComposite, result: int | ChipError) -> int | ChipError:
    # One line per composite made: operators (and the tests) count renders with it.
    if isinstance(result, ChipError):
        log.warning("composite %s (%s): %s", item.key, item.scene.product_id, result)
    else:
        log.info("rendered composite %s (%s) from its sources", item.key, item.scene.product_id)
    return result
