"""Cutting raw chips: the unit of a raw job is one scene's chips, every requested band of
it, each band file opened once, cut into the shared store and recorded in the job's client
cache. Files appear only complete (written to a temporary name, then renamed) and records
are upserts, so a unit made twice duplicates nothing.

On a worker a unit is cut there (one task per scene); with no broker a job's band files are
cut at once on the cut pool (chips.work.pool) and recorded in one go. The files are the same
bytes either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from chips.models import ChipJob, JobKind
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError
from chips.raster.extract import cut_file_reporting
from chips.store import cache
from chips.work import pool
from chips.work.units import Outcome, Reported, Unit, runner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneWork:
    """The chips of one scene that a job must cut."""

    scene_id: int
    specs: tuple[ChipSpec, ...]
    # A Sentinel-1 product's chips (scene_id names a SarScene): the same unit of work,
    # recorded against the other catalogue table.
    sar: bool = False

    def unit(self, *, refresh: bool) -> Unit:
        payload = {
            "scene_id": self.scene_id,
            "specs": [s.to_dict() for s in self.specs],
            "refresh": refresh,
            "sar": self.sar,
        }
        return Unit(JobKind.RAW, tuple(s.key for s in self.specs), payload)

    @classmethod
    def of(cls, unit: Unit) -> SceneWork:
        specs = tuple(ChipSpec.from_dict(d) for d in unit.payload["specs"])
        return cls(unit.payload["scene_id"], specs, bool(unit.payload.get("sar")))


@dataclass
class SceneCut:
    """What cutting a scene gave: records to write, and {chip key: reason} of failures."""

    records: list[cache.ChipRecord] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def chip_record(spec: ChipSpec, *, scene_id: int, size: int) -> cache.ChipRecord:
    return cache.ChipRecord(
        file_name=spec.file_name,
        spec_key=spec.key,
        stored_path=cache.stored_relpath(spec),
        scene_id=None if spec.sar else scene_id,
        sar_scene_id=scene_id if spec.sar else None,
        band=spec.band,
        size_bytes=size,
    )


def _shared(work: Sequence[SceneWork], *, refresh: bool) -> dict[str, tuple[Path, int]]:
    """The chips of these scenes another request already cut (whole), in one look at the
    store for the whole job (one query a scene cost 3-4 ms each: 18 products, 65 ms of a
    cold 36-chip request); none when `refresh`."""
    if refresh:
        return {}
    return cache.shared_files([(s.key, cache.stored_relpath(s)) for w in work for s in w.specs])


def _pending(
    work: SceneWork, out: SceneCut, shared: dict[str, tuple[Path, int]]
) -> list[list[ChipSpec]]:
    """The chips of a scene still to cut, by band file; those another request already cut
    (`shared`) are reused and go straight into `out`."""
    by_href: dict[str, list[ChipSpec]] = {}
    for spec in work.specs:
        if spec.key in shared:
            _, size = shared[spec.key]
            out.records.append(chip_record(spec, scene_id=work.scene_id, size=size))
        else:
            by_href.setdefault(spec.href, []).append(spec)
    return list(by_href.values())


def _store_jobs(specs: Sequence[ChipSpec]) -> list[tuple[ChipSpec, Path]]:
    return [(s, cache.store_path(cache.stored_relpath(s))) for s in specs]


def _collect(
    work: SceneWork, out: SceneCut, specs: Sequence[ChipSpec], result: dict[str, int] | ChipError
) -> None:
    """Put the outcome of cutting one band file's chips into `out` (an error: why not)."""
    if isinstance(result, ChipError):
        log.warning("scene %s: %s", work.scene_id, result)
        out.failed.update({s.key: str(result) for s in specs})
        return
    for spec in specs:
        # One line per extraction: operators (and the tests) count cuts with it.
        log.info("extracted chip %s (%s %s)", spec.key, spec.product_id, spec.band)
        if result[spec.key] > 0:  # 0: no valid pixel in the window, nothing to hold
            out.records.append(chip_record(spec, scene_id=work.scene_id, size=result[spec.key]))


def _alone(files: list[tuple[ChipSpec, Path]]) -> dict[str, int] | ChipError:
    # One band file: GDAL decodes it on all cores itself.
    return cut_file_reporting(files, decode_threads=None)


@runner(JobKind.RAW)
def cut_units(job: ChipJob, units: Sequence[Unit]) -> Iterator[Reported]:
    """Cut the scenes' band files at once (on the cut pool when there are several), then
    record every chip and report every scene in one go."""
    work = [SceneWork.of(u) for u in units]
    for w in work:
        log.info("job %s: scene %s, %d chips", job.pk, w.scene_id, len(w.specs))
    shared = _shared(work, refresh=job.refresh)
    cuts = [SceneCut() for _ in work]
    todo = []  # (scene, its cut, the specs of one band file) to cut
    for w, cut in zip(work, cuts, strict=True):
        todo += [(w, cut, specs) for specs in _pending(w, cut, shared)]
    results = pool.map_all(
        cut_file_reporting, [_store_jobs(specs) for _, _, specs in todo], alone=_alone
    )
    for (w, cut, specs), result in zip(todo, results, strict=True):
        _collect(w, cut, specs, result)
    assert job.cache_id is not None  # a raw job is a client's
    with transaction.atomic():
        cache.record_chips([r for cut in cuts for r in cut.records], cache_id=job.cache_id)
    yield [(u, Outcome(failed=cut.failed)) for u, cut in zip(units, cuts, strict=True)]
