"""Making one composite from its raw chips: cut those the shared store lacks, render the
PNG (chips.raster.render) into CHIP_STORE/png/, record it in the job's client cache and report
it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import rasterio
import shapely

from chips import cache, jobs
from chips.composite.params import parse_lut
from chips.composite.plan import PlannedComposite
from chips.cutting import SceneWork, cut_scene
from chips.models import ChipJob, Scene
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError, SourceUnreadable
from chips.raster.extract import write_atomic
from chips.raster.render import BandArray, Lut, cloud_share, render_composite


def make_composite(job: ChipJob, message: dict[str, Any]) -> None:
    """Cut, render and record one composite of a job, and report it (a task's body)."""
    scene = Scene.objects.get(pk=message["scene_id"])
    red, green, blue = (ChipSpec.from_dict(d) for d in message["specs"])
    scl = ChipSpec.from_dict(message["scl"]) if message["scl"] else None
    specs = (red, green, blue)
    item = PlannedComposite(scene, specs, scl, message["key"], message["outline"])
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
    cut = cut_scene(SceneWork(scene_id, tuple(specs)), refresh=refresh)
    if cut.failed:
        raise SourceUnreadable(next(iter(cut.failed)), next(iter(cut.failed.values())))


def _read_raw(spec: ChipSpec) -> np.ndarray:
    """A raw chip's pixels; all nodata when the scene had none there (no file was cut)."""
    path = cache.store_path(cache.stored_relpath(spec))
    if not path.is_file():
        return np.full((spec.size_y, spec.size_x), spec.nodata, dtype=np.uint16)
    with rasterio.open(path) as src:
        return src.read(1)
