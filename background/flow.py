"""A background image for a client: from the client's cache if held, else from the store if
another client had the same image made, else read from the source and written to the store;
then recorded in the client's cache (chips.store.cache: the one store, its held check, its
/dump/ URL and its flush). Also the map tiles of a source (shared by every user)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from pyproj import Transformer

from background import render
from background.fetch import SourceBusy, SourceTimeout, fetch_image
from background.imagery import SourceReadError, source_bounds, tile_bounds
from background.models import BackgroundSource
from background.sources import source_spec, tile_root
from chips.store.cache import (
    ChipRecord,
    client_cache,
    dump_url,
    held,
    record_chips,
    shared_files,
    store_path,
)
from common.errors import BackendUnavailable, BadParameter, NotFound

WEB_MERCATOR = 3857
# Built once: a GDAL CoordTransform per request costs more than the rest of a warm answer.
TO_WEB_MERCATOR = Transformer.from_crs(4326, WEB_MERCATOR, always_xy=True)
MAX_LAT = 85.05


class SourceUnavailable(BackendUnavailable):
    """503: the background source failed or did not answer in time (named)."""


@dataclass(frozen=True)
class BackgroundImage:
    url: str  # /dump/<token>/<name>.<format>, site-relative
    file_name: str
    cached: bool
    bounds: tuple[float, float, float, float]


def square(lon: float, lat: float, extend: float) -> tuple[float, float, float, float]:
    """The image's square in EPSG:3857, `extend` metres (of the projection) a side."""
    if abs(lat) > MAX_LAT:  # a parcel's centroid beyond EPSG:3857's square world
        raise BadParameter(f"lat={lat:g}: EPSG:3857 images reach {MAX_LAT} N/S", param="lat")
    x, y = TO_WEB_MERCATOR.transform(lon, lat)
    half = extend / 2
    return (x - half, y - half, x + half, y + half)


def _outline_rings(outline: GEOSGeometry) -> list[list[tuple[float, float]]]:
    geom = outline.transform(WEB_MERCATOR, clone=True)
    polygons = (
        [geom] if isinstance(geom, Polygon) else cast(list[Polygon], list(cast(MultiPolygon, geom)))
    )
    return [[(x, y) for x, y in ring.coords] for poly in polygons for ring in poly]


def _key(source: BackgroundSource, bounds: tuple[float, ...], size: int, fmt: str,
         outline: GEOSGeometry | None) -> str:  # fmt: skip
    """The content address of the image: what it shows, from which version of the source."""
    version = source.updated.isoformat() if source.updated else ""
    shape = hashlib.sha1(outline.wkb).hexdigest() if outline is not None else ""
    text = f"{source.key}|{version}|{'|'.join(f'{b:.2f}' for b in bounds)}|{size}|{fmt}|{shape}"
    return hashlib.sha1(text.encode()).hexdigest()


def _down(source: BackgroundSource, what: str, exc: Exception) -> SourceUnavailable:
    return SourceUnavailable(f"background source {source.name!r} {what}: {exc}", param="tms")


def _read(
    source: BackgroundSource,
    bounds: tuple[float, float, float, float],
    size: int,
    *,
    deadline: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    spec = source_spec(source)
    try:
        return fetch_image(spec, bounds, size, max_fetches=source.max_fetches, deadline=deadline)
    except SourceTimeout as exc:
        raise SourceUnavailable(
            f"background source {source.name!r} timed out: {exc}", param="tms"
        ) from exc
    except SourceBusy as exc:
        raise SourceUnavailable(
            f"background source {source.name!r} is busy: {exc}", param="tms"
        ) from exc
    except SourceReadError as exc:
        raise SourceUnavailable(
            f"background source {source.name!r} failed: {exc}", param="tms"
        ) from exc


def background_image(
    *,
    user: User,
    ip: str,
    source: BackgroundSource,
    lon: float,
    lat: float,
    chipsize: int,
    extend: float,
    iformat: str,
    outline: GEOSGeometry | None = None,
    deadline: float | None = None,
) -> BackgroundImage:
    bounds = square(lon, lat, extend)
    flag = "g" if outline is not None else ""
    cache = client_cache(
        user=user, ip=ip, square=f"bg|{lon:.6f}|{lat:.6f}|{extend:.2f}|{chipsize}|{flag}"
    )
    key = _key(source, bounds, chipsize, iformat, outline)
    file_name = f"{source.key}.{iformat}"
    url = dump_url(cache.token, file_name)
    if key in held(cache=cache, keys={key}):
        return BackgroundImage(url, file_name, cached=True, bounds=bounds)
    relpath = f"bg/{key[:2]}/{key}.{iformat}"
    found = shared_files([(key, relpath)])
    if key in found:
        size = found[key][1]
    else:
        rgb, _ = _read(source, bounds, chipsize, deadline=deadline)
        if iformat == "tif":
            tags = {
                "SOURCE": source.name,
                "ATTRIBUTION": source.attribution,
                "CENTRE_LON_LAT": f"{lon:.6f} {lat:.6f}",
                "EXTEND_M": f"{extend:g}",
            }
            data = render.geotiff_bytes(rgb, bounds, tags)
        else:
            rings = render.to_pixels(_outline_rings(outline), bounds, chipsize) if outline else []
            data = render.png_bytes(rgb, rings)
        size = render.write_file(store_path(relpath), data)
    record_chips(
        [ChipRecord(file_name=file_name, spec_key=key, stored_path=relpath, scene_id=None,
                    band="", size_bytes=size)],
        cache_id=cache.pk,
    )  # fmt: skip
    return BackgroundImage(url, file_name, cached=False, bounds=bounds)


def _inside(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float] | None
) -> bool:
    return b is None or not (a[2] <= b[0] or a[0] >= b[2] or a[3] <= b[1] or a[1] >= b[3])


def map_tile(source: BackgroundSource, z: int, x: int, y: int) -> Path:
    """The PNG of tile z/x/y of the source (256 px, transparent where it has no data), made
    once and then served from the source's tile folder. NotFound outside its zoom levels or
    its extent."""
    if z > source.max_zoom or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"no tile {z}/{x}/{y} in {source.name} (zoom 0..{source.max_zoom})")
    path = tile_root(source) / "map" / str(z) / str(x) / f"{y}.png"
    if path.is_file():
        return path
    bounds = tile_bounds(z, x, y)
    spec = source_spec(source)
    try:
        extent = source_bounds(spec)
    except SourceReadError as exc:
        raise SourceUnavailable(
            f"background source {source.name!r} failed: {exc}", param="tms"
        ) from exc
    if not _inside(bounds, extent):
        raise NotFound(f"tile {z}/{x}/{y} is outside {source.name}")
    rgb, mask = _read(source, bounds, 256)
    render.write_file(path, render.rgba_png_bytes(rgb, mask))
    return path
