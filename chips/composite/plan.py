"""Planning the composites of a request: which acquisitions, which raw chips each needs,
their content addresses, and the client's cache the PNGs are recorded in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import shapely
from django.contrib.auth.models import User

from chips.catalogue import planning, sar_selection, selection
from chips.catalogue.memo import Memo
from chips.catalogue.sar_models import SarScene
from chips.composite.s1_params import S1_LEVELS
from chips.errors import nothing_read
from chips.models import Asset, ClientCache, JobKind, Level, Scene
from chips.raster.bands import BAND_RESOLUTION
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipError
from chips.raster.render import Lut
from chips.store import cache
from chips.work import jobs

COMPOSITE_VERSION = "png2"  # png2: the stretch limits in a tEXt chunk


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
    # refresh=True: cut and render every chip again, even those the client holds.
    refresh: bool = False


@dataclass(frozen=True)
class PlannedComposite:
    scene: Scene | SarScene
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
    # {date label: reason} of the acquisitions whose band files could not be read: those
    # dates are reported, the others made (as raw chips do).
    failed: dict[str, str] = field(default_factory=dict)
    job_key: str = field(init=False)

    def window(self, start: dt.date, end: dt.date) -> CompositePlan:
        """The part of this plan in [start, end]: what planning that window would give (the
        same client, scenes and keys), without planning again."""

        def inside(day: str) -> bool:
            return start <= dt.date.fromisoformat(day) <= end

        return CompositePlan(
            dataclasses.replace(self.request, start=start, end=end),
            self.client,
            [i for i in self.items if inside(i.date)],
            {k: v for k, v in self.failed.items() if inside(_label_day(k))},
        )

    def __post_init__(self) -> None:
        self.job_key = jobs.job_key(
            kind=JobKind.COMPOSITE,
            token=self.client.token,
            keys=[i.key for i in self.items],
            refresh=self.request.refresh,
        )


def _label_day(label: str) -> str:
    """The UTC date (ISO) of a sensing key (20190615T105031)."""
    return f"{label[0:4]}-{label[4:6]}-{label[6:8]}"


def composite_key(specs: Sequence[ChipSpec], lut: Lut, outline: str | None) -> str:
    """Content address of a composite: its raw chips, its stretch and its outline."""
    outline_hash = hashlib.sha256(outline.encode()).hexdigest()[:16] if outline else "-"
    ident = "|".join([COMPOSITE_VERSION, *(s.key for s in specs), lut.to_param(), outline_hash])
    return hashlib.sha256(ident.encode()).hexdigest()[:40]


def _outline_in(epsg: int, outline_wkt: str | None) -> str | None:
    if not outline_wkt:
        return None
    project = selection.transformer(4326, epsg).transform
    outline = shapely.from_wkt(outline_wkt)
    return shapely.transform(
        outline,
        project,  # type: ignore[arg-type]  # types-shapely types no (x, y) callable
        interleaved=False,
    ).wkt


def _cut_size(request: CompositeRequest, band: str) -> int:
    """The chip size to cut of a band. A band of another resolution than the first is
    snapped on its own grid, which may sit half a coarse pixel off the first band's: cut
    it a coarse pixel wider on each side so that it covers the whole output grid (else
    resampling leaves an empty edge row or column)."""
    first = BAND_RESOLUTION[request.bands[0]]
    res = BAND_RESOLUTION[band]
    return request.chipsize if res == first else request.chipsize + 2 * max(res, first)


def _plan_scene(
    scene: Scene, assets: dict[tuple[int, str], Asset], request: CompositeRequest
) -> PlannedComposite | None:
    """The composite of one scene; None if the product was ingested without one of the
    bands (no composite)."""
    band_assets = [assets.get((scene.pk, b)) for b in request.bands]
    if any(a is None for a in band_assets):
        return None
    red, green, blue = (
        planning.plan_chip(
            scene=scene,
            asset=a,
            lon=request.lon,
            lat=request.lat,
            chipsize=_cut_size(request, a.band),
        )
        for a in band_assets
        if a is not None
    )
    specs = (red, green, blue)
    scl_asset = assets.get((scene.pk, "SCL")) if scene.level == Level.L2A else None
    scl = (
        planning.plan_chip(
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
    return PlannedComposite(scene, specs, scl, composite_key(specs, request.lut, native), native)


def plan_composites(
    *,
    user: User,
    ip: str,
    request: CompositeRequest,
    keep: Callable[[list[Scene]], list[Scene]] | None = None,
) -> CompositePlan:
    """One composite per acquisition (scenes holding all three bands), and the client's
    cache for this square, bands, lut and outline (one token each, so `<product>.png`
    names one file). `keep` narrows the scenes (min_clear: the parcel's clear dates).
    Sentinel-1 levels: one composite per pass (`_plan_sar`)."""
    if request.level in S1_LEVELS:
        return CompositePlan(request, _client(user, ip, request), *_plan_sar(request))
    scenes = selection.select_scenes(
        lon=request.lon,
        lat=request.lat,
        chipsize=request.chipsize,
        level=request.level,
        start=request.start,
        end=request.end,
    )
    if keep is not None:
        scenes = keep(scenes)
    items, failed = _plan_scenes(scenes, request)
    return CompositePlan(request, _client(user, ip, request), items, failed)


# Composites that placed every chip, by (catalogue number, scenes, what is asked): a page's
# polls and reloads plan nothing again (chips.catalogue.memo). Never a plan with a failure:
# the file may be readable next time.
planned = Memo(limit=128)


def _plan_scenes(
    scenes: Sequence[Scene], request: CompositeRequest
) -> tuple[list[PlannedComposite], dict[str, str]]:
    key = (tuple((s.pk, s.product_id) for s in scenes), dataclasses.replace(request, refresh=False))

    def compute() -> tuple[tuple[PlannedComposite, ...], dict[str, str]]:
        items, failed = _plan_each(scenes, request)
        return tuple(items), failed

    items, failed = planned.through(key, compute, keep=lambda answer: not answer[1])
    return list(items), dict(failed)


def _plan_each(
    scenes: Sequence[Scene], request: CompositeRequest
) -> tuple[list[PlannedComposite], dict[str, str]]:
    wanted = set(request.bands) | {"SCL"}
    assets = planning.scene_assets(scenes, wanted)
    items: list[PlannedComposite] = []
    failed: dict[str, str] = {}
    for scene in scenes:
        try:
            item = _plan_scene(scene, assets, request)
        except ChipError as exc:  # this date is reported; the others are made
            failed[scene.sensing_key] = str(exc)
            continue
        if item is not None:
            items.append(item)
    nothing_read(failed.values(), made=bool(items))
    return items, failed


def _client(user: User, ip: str, request: CompositeRequest) -> ClientCache:
    """The client's cache of this square, bands (or Sentinel-1 kind), lut and outline."""
    parts = [",".join(request.bands), request.lut.to_param(), request.outline_wkt or ""]
    if request.level in S1_LEVELS:
        parts.insert(0, request.level)
    variant = "|".join(parts)
    square = cache.square_key(lon=request.lon, lat=request.lat, chipsize=request.chipsize)
    square += "|c" + hashlib.sha256(variant.encode()).hexdigest()[:12]
    return cache.client_cache(user=user, ip=ip, square=square)


def _plan_sar(request: CompositeRequest) -> tuple[list[PlannedComposite], dict[str, str]]:
    """One composite per Sentinel-1 pass holding VV and VH: its VV, VH, VV windows on the
    product's grid (what the layers are is the kind's: chips.composite.s1_params)."""
    scenes = sar_selection.select(
        lon=request.lon,
        lat=request.lat,
        chipsize=request.chipsize,
        kind=request.level,
        start=request.start,
        end=request.end,
    )
    assets = sar_selection.assets_of(scenes, ("VV", "VH"))
    items: list[PlannedComposite] = []
    failed: dict[str, str] = {}
    for scene in scenes:
        if (scene.pk, "VV") not in assets or (scene.pk, "VH") not in assets:
            continue
        try:
            vv, vh = (
                sar_selection.plan_chip(
                    scene=scene,
                    asset=assets[scene.pk, p],
                    lon=request.lon,
                    lat=request.lat,
                    chipsize=request.chipsize,
                )
                for p in ("VV", "VH")
            )
        except ChipError as exc:
            failed[scene.sensing_key] = str(exc)
            continue
        native = _outline_in(scene.epsg, request.outline_wkt)
        specs = (vv, vh, vv)
        items.append(
            PlannedComposite(scene, specs, None, composite_key(specs, request.lut, native), native)
        )
    nothing_read(failed.values(), made=bool(items))
    return items, failed
