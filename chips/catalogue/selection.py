"""Scene selection: which products give a chip for a square, a level and a date window.

One chip per acquisition (the scenes of one datatake share a sensing time): the scene that
covers the chip square best, then the higher processing baseline, then the later
generation time. Runs on PostGIS and on SpatiaLite (only `intersects` is asked of the DB;
coverage is measured here with GEOS on the few candidates).

Footprints are parsed into GEOS once per process (`footprints`), prepared, and a scene's
coverage of a chip square is measured once: the candidate query leaves the column out (it
stays deferred on the scenes returned). A scene row is never changed in place (ingest
creates, the admin only deletes, a re-ingested product is a new row with a new key), so a
scene's key names one footprint for good; deleting a scene drops it from the cache.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.contrib.gis.geos.prepared import PreparedGeometry
from django.db.models.signals import post_delete
from django.dispatch import receiver
from pyproj import Transformer

from chips.catalogue.memo import Memo
from chips.catalogue.models import Scene
from chips.raster.bands import utm_epsg

# Points per side of the search square: its sides are straight in UTM, not in lon/lat.
_SIDE_POINTS = 8


@lru_cache(maxsize=256)
def transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    """Cached pyproj transformers (building one costs about a millisecond)."""
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


def lonlat_to(epsg: int, lon: float, lat: float) -> tuple[float, float]:
    """The point in a scene's CRS (x, y in metres)."""
    return transformer(4326, epsg).transform(lon, lat)


def chip_square_wgs84(*, lon: float, lat: float, chipsize: float) -> Polygon:
    """The chip square of `chipsize` metres around the point, as a lon/lat polygon. It is
    drawn in the UTM zone the point falls in: this zone (and its hemisphere) serve only to
    draw a search shape; each chip is cut later in its own scene's CRS."""
    zone = min(int((lon + 180) // 6) + 1, 60)
    epsg = utm_epsg(zone, north=lat >= 0)
    cx, cy = lonlat_to(epsg, lon, lat)
    h = chipsize / 2
    corners = [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
    ring: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        for i in range(_SIDE_POINTS):
            f = i / _SIDE_POINTS
            ring.append((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f))
    xs, ys = transformer(epsg, 4326).transform([p[0] for p in ring], [p[1] for p in ring])
    points = list(zip(xs, ys, strict=True))
    return Polygon(points + points[:1], srid=4326)


def utc_window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00 UTC, end+1 00:00 UTC): the inclusive date window as instants. A window
    ending on the calendar's last day (9999-12-31) has no day after it: its end is the last
    instant there is, which no sensing time reaches."""
    lo = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    if end >= dt.date.max:
        return lo, dt.datetime.max.replace(tzinfo=dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return lo, hi


class FootprintCache:
    """Scene footprints parsed once per process, prepared, and the coverage of a chip square
    measured once per scene and square. Keyed by (pk, product id): a key that came back
    naming another product (a database made anew under a running process) is another
    entry. Bounded: past `limit` entries it starts again (a process that has seen that many
    serves a large catalogue, and the next requests refill it)."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._items: dict[tuple[int, str], tuple[GEOSGeometry, PreparedGeometry]] = {}
        self._coverage: dict[tuple[int, str, bytes], float] = {}
        # Filling, and the first use of a prepared geometry (GEOS builds its index lazily),
        # are not safe from two threads at once.
        self.lock = threading.Lock()

    def fill(self, scenes: list[Scene]) -> None:
        """Read the footprints of the scenes the cache does not hold yet (one query)."""
        with self.lock:
            missing = [s.pk for s in scenes if (s.pk, s.product_id) not in self._items]
        if not missing:
            return
        rows = Scene.objects.filter(pk__in=missing).values_list("pk", "product_id", "footprint")
        parsed = {(pk, pid): (geom, geom.prepared) for pk, pid, geom in rows}
        with self.lock:
            if len(self._items) + len(parsed) > self.limit:
                self._items.clear()
            self._items.update(parsed)

    def footprint(self, scene: Scene) -> GEOSGeometry:
        """The scene's footprint, shared: read it, never change it in place (`clone()` it)."""
        with self.lock:
            entry = self._items.get((scene.pk, scene.product_id))
        return entry[0] if entry is not None else scene.footprint

    def coverage(self, scene: Scene, square: GEOSGeometry, key: bytes) -> float:
        """The share of the square (`key`: its WKB) that the scene's data covers, rounded
        so that two tiles that both cover it fully tie (GEOS areas differ in the last
        digits)."""
        with self.lock:
            known = self._coverage.get((scene.pk, scene.product_id, key))
            if known is not None:
                return known
            entry = self._items.get((scene.pk, scene.product_id))
            if entry is None:
                return _coverage(scene.footprint, None, square)
            share = _coverage(entry[0], entry[1], square)
            if len(self._coverage) >= self.limit:
                self._coverage.clear()
            self._coverage[(scene.pk, scene.product_id, key)] = share
            return share

    def drop(self, scene: Scene) -> None:
        with self.lock:
            self._items.pop((scene.pk, scene.product_id), None)
            self._coverage = {
                k: v for k, v in self._coverage.items() if k[:2] != (scene.pk, scene.product_id)
            }

    def clear(self) -> None:
        with self.lock:
            self._items.clear()
            self._coverage.clear()

    def __len__(self) -> int:
        return len(self._items)


def _coverage(
    footprint: GEOSGeometry, prepared: PreparedGeometry | None, square: GEOSGeometry
) -> float:
    # "Square within footprint" (asked of the prepared footprint) is far cheaper than an
    # intersection, and the common case.
    inside = prepared.contains(square) if prepared is not None else square.within(footprint)
    if inside:
        return 1.0
    return round(footprint.intersection(square).area / (square.area or 1.0), 6)


footprints = FootprintCache()


@receiver(post_delete, sender=Scene, dispatch_uid="selection-footprint-drop")
def _scene_deleted(sender: type[Scene], instance: Scene, **kwargs: Any) -> None:
    footprints.drop(instance)


def candidate_scenes(
    *, square: GEOSGeometry, level: str, start: dt.date, end: dt.date
) -> list[Scene]:
    """Scenes of the level sensed in the window whose data footprint meets the square. The
    footprint column is left deferred (reading `scene.footprint` loads it from the row);
    `footprints.footprint(scene)` gives the per-process parsed one."""
    lo, hi = utc_window(start, end)
    scenes = list(
        Scene.objects.filter(
            level=level,
            sensing_time__gte=lo,
            sensing_time__lt=hi,
            footprint__intersects=square,
        )
        .defer("footprint")
        .order_by("sensing_time", "product_id")
    )
    footprints.fill(scenes)
    return scenes


def _baseline(scene: Scene) -> float:
    try:
        return float(scene.processing_baseline)
    except ValueError:
        return 0.0


def best_per_acquisition(scenes: Iterable[Scene], square: GEOSGeometry) -> list[Scene]:
    """One scene per acquisition (mission, orbit, sensing time), sorted by sensing time."""
    key = bytes(square.wkb)
    groups: dict[tuple[str, int, dt.datetime], list[Scene]] = {}
    for scene in scenes:
        groups.setdefault((scene.mission, scene.relative_orbit, scene.sensing_time), []).append(
            scene
        )

    def rank(scene: Scene) -> tuple[float, float, float]:
        generated = scene.generation_time.timestamp() if scene.generation_time else 0.0
        return footprints.coverage(scene, square, key), _baseline(scene), generated

    # Most acquisitions have a single candidate: no geometry work for those.
    chosen = [group[0] if len(group) == 1 else max(group, key=rank) for group in groups.values()]
    return sorted(chosen, key=lambda s: (s.sensing_time, s.product_id))


# A square's scenes by (catalogue number, square, level, window): a warm request's
# selection without the spatial query (chips.catalogue.memo). A season of scenes is some
# 100 rows of ~1.5 KB: 128 squares stay under ~20 MB a process.
selected = Memo(limit=128)


def select_scenes(
    *, lon: float, lat: float, chipsize: float, level: str, start: dt.date, end: dt.date
) -> list[Scene]:
    """The scenes giving one chip per acquisition for the square, sorted by date. The same
    question on the same catalogue is answered from the process's memo (the scenes are
    shared: read them, never change them)."""

    def compute() -> tuple[Scene, ...]:
        square = chip_square_wgs84(lon=lon, lat=lat, chipsize=chipsize)
        candidates = candidate_scenes(square=square, level=level, start=start, end=end)
        return tuple(best_per_acquisition(candidates, square))

    key = (lon, lat, chipsize, level, start, end)
    return list(selected.through(key, compute, keep=lambda _: True))


def scenes_by_product_ids(*, product_ids: Iterable[str]) -> dict[str, Scene]:
    """The scenes named (product ids without .SAFE; a trailing .SAFE is tolerated)."""
    wanted = {p.removesuffix(".SAFE") for p in product_ids}
    return {s.product_id: s for s in Scene.objects.filter(product_id__in=wanted)}
