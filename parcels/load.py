"""Reading parcel files: any OGR vector format and CRS in, clean WGS84 + native parcels out.

No Django here: plain values in, numpy arrays out, so the whole file is processed with
vectorised GEOS/PROJ calls (pyogrio, shapely 2, pyproj) rather than one Python object per
feature, which is what makes a million-parcel import take seconds, not minutes.

Area is computed in EPSG:3035 (ETRS89 / LAEA Europe): an equal-area projection, the EU's
reference CRS for statistics (INSPIRE), so planar area there is true ellipsoidal area; it
is one vectorised transform + shapely.area, where a geodesic area (pyproj.Geod) is one
Python call per parcel. LPIS data are European, which is the projection's domain.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer

AREA_CRS = "EPSG:3035"
POLYGON, MULTIPOLYGON, COLLECTION = 3, 6, 7
WKB_POINT, WKB_MULTIPOLYGON = 1, 6
EWKB_SRID_FLAG = 0x20000000  # PostGIS EWKB: the type word says an SRID follows it


class ParcelFileError(Exception):
    """The file cannot be imported as asked (missing layer or field, unknown CRS)."""


@dataclass
class SourceTable:
    """A parcel file's attributes, read once; geometries stay WKB until processed."""

    path: str
    layer: str
    srid: int
    pids: np.ndarray  # str objects
    crop_names: np.ndarray
    crop_codes: np.ndarray
    wkb: np.ndarray  # bytes objects (None where a feature has no geometry)
    duplicate_pids: list[str] = field(default_factory=list)
    missing_pids: int = 0

    def __len__(self) -> int:
        return len(self.pids)


@dataclass
class ParcelChunk:
    """Processed parcels, ready to store: every array has one entry per parcel."""

    pids: np.ndarray
    crop_names: np.ndarray
    crop_codes: np.ndarray
    areas: np.ndarray  # int64 m²
    centroids: np.ndarray  # (n, 2) lon, lat
    geoms_wgs84: np.ndarray  # shapely MultiPolygons, srid 4326
    geoms_native: np.ndarray  # shapely MultiPolygons, dataset SRID
    repaired: int = 0
    dropped: list[str] = field(default_factory=list)  # pids without a usable polygon

    def __len__(self) -> int:
        return len(self.pids)


def gdal_path(path: str | Path) -> str:
    """Zipped files are read in place through GDAL's /vsizip/."""
    text = str(path)
    if text.lower().endswith(".zip") and not text.startswith("/vsizip/"):
        return f"/vsizip/{text}"
    return text


def choose_layer(path: str, layer: str | None) -> str:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and plain OSErrors
        raise ParcelFileError(f"cannot open {path}: {exc}") from exc
    if layer is not None:
        if layer not in layers:
            raise ParcelFileError(f"no layer {layer!r} in {path}; layers: {', '.join(layers)}")
        return layer
    if len(layers) != 1:
        raise ParcelFileError(f"{path} has {len(layers)} layers; name one with --layer: {layers}")
    return layers[0]


def epsg_of(crs_text: str | None, override: int | None) -> int:
    if override:
        return override
    if not crs_text:
        raise ParcelFileError("the file has no CRS; give its EPSG code with --srid")
    epsg = CRS.from_user_input(crs_text).to_epsg(min_confidence=70)
    if epsg is None:
        raise ParcelFileError(f"no EPSG code matches the file's CRS ({crs_text}); use --srid")
    return epsg


def as_strings(values: np.ndarray) -> np.ndarray:
    """Attribute values as the API answers them: strings, integral floats without '.0'."""
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    if values.dtype.kind == "f" and np.isfinite(values).all() and (values == np.rint(values)).all():
        return values.astype(np.int64).astype(str).astype(object)
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and value != value):
            out[i] = ""
        elif isinstance(value, float) and value.is_integer():
            out[i] = str(int(value))
        else:
            out[i] = str(value).strip()
    return out


def read_source(
    path: str | Path,
    *,
    layer: str | None = None,
    pid_field: str | None = None,
    crop_name_field: str | None = None,
    crop_code_field: str | None = None,
    srid: int | None = None,
) -> SourceTable:
    """Read attributes and WKB; pids are the feature ids unless `pid_field` names a column.

    Duplicate pids keep their first feature; features without a pid are skipped.
    """
    source = gdal_path(path)
    layer = choose_layer(source, layer)
    info = pyogrio.read_info(source, layer=layer)
    fields = [str(name) for name in info["fields"]]
    for option, name in (
        ("--pid-field", pid_field),
        ("--crop-name-field", crop_name_field),
        ("--crop-code-field", crop_code_field),
    ):
        if name and name not in fields:
            raise ParcelFileError(f"{option} {name!r} is not a field of {layer}: {fields}")
    columns = [
        name for name in dict.fromkeys((pid_field, crop_name_field, crop_code_field)) if name
    ]
    meta, fids, wkb, data = pyogrio.raw.read(
        source, layer=layer, columns=columns, return_fids=True, force_2d=True
    )
    by_name = dict(zip(meta["fields"].tolist(), data, strict=True))
    count = len(wkb)
    empty = np.full(count, "", dtype=object)
    pids = as_strings(by_name[pid_field] if pid_field else fids)
    table = SourceTable(
        path=str(path),
        layer=layer,
        srid=epsg_of(meta["crs"], srid),
        pids=pids,
        crop_names=as_strings(by_name[crop_name_field]) if crop_name_field else empty,
        crop_codes=as_strings(by_name[crop_code_field]) if crop_code_field else empty,
        wkb=wkb,
    )
    return _dedupe(table)


def _dedupe(table: SourceTable) -> SourceTable:
    has_pid = table.pids != ""
    table.missing_pids = int((~has_pid).sum())
    # First index of each pid: a dict keeps the first it sees (O(n), where sorting the
    # object array with np.unique is O(n log n) Python string comparisons).
    first: dict[str, int] = {}
    for index, pid in enumerate(table.pids.tolist()):
        first.setdefault(pid, index)
    keep = np.zeros(len(table.pids), dtype=bool)
    keep[np.fromiter(first.values(), dtype=np.int64, count=len(first))] = True
    keep &= has_pid
    duplicates = np.flatnonzero(~keep & has_pid)
    table.duplicate_pids = table.pids[duplicates].tolist()
    table.pids = table.pids[keep]
    table.crop_names = table.crop_names[keep]
    table.crop_codes = table.crop_codes[keep]
    table.wkb = table.wkb[keep]
    return table


def polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal parts of a (repaired) geometry as one MultiPolygon; None if none."""
    parts = shapely.get_parts(geom)
    parts = parts[np.isin(shapely.get_type_id(parts), (POLYGON, MULTIPOLYGON))]
    parts = shapely.get_parts(parts)  # MultiPolygons (from collections) -> polygons
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        return None
    return shapely.multipolygons(list(parts))


def _project(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    """Each geometry of `geoms` through `transformer` (x and y arrays in, out)."""
    return shapely.transform(
        geoms,
        transformer.transform,  # type: ignore[arg-type]  # types-shapely types no (x, y) callable
        interleaved=False,
    )


def process(
    table: SourceTable, start: int, stop: int, *, to_wgs84: Transformer, to_area: Transformer
) -> ParcelChunk:
    """Repair, multipolygon-ise, project and measure features [start, stop) of a table."""
    geoms = shapely.from_wkb(table.wkb[start:stop])
    pids = table.pids[start:stop]
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = np.flatnonzero(usable & ~shapely.is_valid(geoms))
    for i in invalid:
        repaired = polygonal(shapely.make_valid(geoms[i]))
        geoms[i] = repaired
        usable[i] = repaired is not None
    types = shapely.get_type_id(geoms)
    singles = usable & (types == POLYGON)
    geoms[singles] = shapely.multipolygons(geoms[singles][:, np.newaxis])
    # Points, lines or collections that are not polygons cannot be parcels.
    for i in np.flatnonzero(usable & ~np.isin(types, (POLYGON, MULTIPOLYGON))):
        geoms[i] = polygonal(geoms[i])
        usable[i] = geoms[i] is not None
    dropped = pids[~usable].tolist()
    native = geoms[usable]
    wgs84 = _project(native, to_wgs84)
    centroids = _project(shapely.centroid(native), to_wgs84)
    # From WGS84, not from the native CRS: WGS84 -> LAEA is a plain projection, where
    # e.g. RD New -> LAEA repeats the costly datum shift just done (same area to < 1 m²).
    areas = shapely.area(_project(wgs84, to_area))
    return ParcelChunk(
        pids=pids[usable],
        crop_names=table.crop_names[start:stop][usable],
        crop_codes=table.crop_codes[start:stop][usable],
        areas=np.rint(areas).astype(np.int64),
        centroids=shapely.get_coordinates(centroids),
        geoms_wgs84=wgs84,
        geoms_native=native,
        repaired=len(invalid),
        dropped=dropped,
    )


def chunks(table: SourceTable, size: int = 20_000) -> Iterator[ParcelChunk]:
    """The table processed in chunks of `size` features (so progress can be shown).

    The next chunk is processed in a worker thread while the caller stores this one:
    PROJ and GEOS release the GIL, so the transforms overlap the database writes.
    """
    to_wgs84 = Transformer.from_crs(f"EPSG:{table.srid}", "EPSG:4326", always_xy=True)
    to_area = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    starts = range(0, len(table), size)
    if not starts:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parcels-load") as pool:

        def submit(start: int) -> Future[ParcelChunk]:
            return pool.submit(
                process, table, start, start + size, to_wgs84=to_wgs84, to_area=to_area
            )

        pending = submit(starts[0])
        for start in starts[1:]:
            ready = pending.result()
            pending = submit(start)
            yield ready
        yield pending.result()


def ewkb_multipolygons(geoms: np.ndarray, srid: int) -> list[bytes]:
    """PostGIS EWKB of 2D MultiPolygons, as `to_wkb(set_srid(geoms), include_srid=True)`.

    Little-endian WKB with the SRID spliced into its 5-byte header: set_srid would copy
    every geometry first, which costs as much as the encoding itself.
    """
    head = struct.pack("<BII", 1, WKB_MULTIPOLYGON | EWKB_SRID_FLAG, srid)
    return [head + wkb[5:] for wkb in shapely.to_wkb(geoms, byte_order=1).tolist()]


def ewkb_points(xy: np.ndarray, srid: int) -> list[bytes]:
    """PostGIS EWKB of 2D points from an (n, 2) array, written as fixed 25-byte records."""
    records = np.empty(
        len(xy),
        dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")],
    )
    records["order"] = 1  # little-endian
    records["type"] = WKB_POINT | EWKB_SRID_FLAG
    records["srid"] = srid
    records["x"] = xy[:, 0]
    records["y"] = xy[:, 1]
    buffer, size = records.tobytes(), records.dtype.itemsize
    return [buffer[start : start + size] for start in range(0, len(buffer), size)]
