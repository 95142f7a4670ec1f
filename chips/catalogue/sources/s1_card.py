"""Read the JRC's CARD folders on a DIAS into SarRecords (no Django).

- CARD-BS: `.../CARD-BS/YYYY/MM/DD/<ref>/<ref>.data/Gamma0_VV.img` (and `Gamma0_VH.img`;
  `Sigma0_*` for sigma0), ENVI files with their `.hdr`, inside the BEAM-DIMAP product
  `<ref>.dim`. `<ref>` is the GRD name plus `_CARD_BS`: platform, sensing start and
  absolute orbit (hence the relative orbit) come from it; the orbit direction from the
  `.dim`'s PASS attribute, else from the local solar time (s1_records).
- CARD-COH6: `.../CARD-COH6/YYYY/MM/DD/<ref>/<ref>.tif`, one GeoTIFF with two bands, VV and
  VH told apart by their band descriptions (never by their order). The pair's second date:
  a second timestamp in `<ref>` on another day, else the file's SECOND_DATE tag.

CRS and grid come from the files themselves; the footprint is the file's extent in lon/lat.
Nodata: the file's own, else 0 (the JRC's).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import rasterio
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioError
from shapely.geometry.base import BaseGeometry

from chips.catalogue.sources import s1_records as r
from chips.catalogue.sources.records import ProductError, parse_time, whole_seconds
from chips.catalogue.sources.s1_stac import _xy, described_bands
from chips.raster.gdal_env import gdal_path, raster_env, sidecars

_BS_FILE_RE = re.compile(r"^(?P<coef>Gamma0|Sigma0)_(?P<pol>VV|VH|HH|HV)\.img$", re.IGNORECASE)
_STAMP_RE = re.compile(r"(\d{8}T\d{6})")
_PASS_RE = re.compile(r"name=\"PASS\"[^>]*>\s*(ASCENDING|DESCENDING)\s*<", re.IGNORECASE)


def find_products(paths: Sequence[Path]) -> Iterator[tuple[str, Path]]:
    """(kind, path) of every CARD product under the paths: a `<ref>.data` folder holding
    Gamma0_/Sigma0_ ENVI files (CARD-BS), or a `<ref>.tif` in a `<ref>` folder under a
    CARD-COH6 tree or named `*_CARD_COH6.tif`."""
    for path in paths:
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            here = Path(folder)
            if here.name.endswith(".data") and any(_BS_FILE_RE.match(f) for f in files):
                yield r.BS, here
                subfolders.clear()
                continue
            for name in sorted(files):
                stem = name[: -len(".tif")] if name.lower().endswith(".tif") else None
                if stem and (stem.upper().endswith("CARD_COH6") or (
                        "CARD-COH6" in here.parts and here.name == stem)):  # fmt: skip
                    yield r.COH6, here / name


def read_product(kind: str, path: Path) -> r.SarRecord:
    return read_bs(path) if kind == r.BS else read_coh6(path)


def _file_facts(href: str) -> tuple[int, float | None, shapely.MultiPolygon, dict[str, str]]:
    """(EPSG, nodata, lon/lat extent, tags) of a band file."""
    try:
        with raster_env(), sidecars(href), rasterio.open(gdal_path(href)) as src:
            epsg = src.crs.to_epsg() if src.crs else None
            nodata, bounds, tags = src.nodata, src.bounds, src.tags()
    except RasterioError as exc:
        raise ProductError(f"cannot read {Path(href).name}: {exc}") from exc
    if epsg is None:
        raise ProductError(f"{Path(href).name} has no EPSG CRS")
    tr = Transformer.from_crs(epsg, 4326, always_xy=True)
    box = shapely.segmentize(shapely.box(*bounds), max((bounds[2] - bounds[0]) / 8, 1.0))
    lonlat = shapely.transform(box, lambda xy: _xy(tr, xy))
    return epsg, nodata, shapely.MultiPolygon([lonlat]), tags


def _name_facts(ref: str) -> tuple[str, datetime, int, int]:
    parts = r.grd_name_parts(ref)
    if parts is None:
        raise ProductError(f"{ref}: not a Sentinel-1 product name (S1A_IW_GRDH_1SDV_...)")
    platform, start, absolute = parts
    return platform, start, absolute, r.relative_orbit(platform, absolute)


def _direction(pass_text: str | None, when: datetime, extent: BaseGeometry) -> tuple[str, str]:
    if pass_text:
        return pass_text.upper(), "metadata"
    return r.direction_from_solar_time(when, extent.centroid.x), "solar time"


def read_bs(data_folder: Path) -> r.SarRecord:
    ref = data_folder.name.removesuffix(".data")
    platform, start, absolute, relative = _name_facts(ref)
    assets, coefficients = [], set()
    for name in sorted(os.listdir(data_folder)):
        match = _BS_FILE_RE.match(name)
        if match:
            pol = match["pol"].upper()
            assets.append(r.SarAssetRecord(pol, str(data_folder / name)))
            coefficients.add(match["coef"].lower())
    if len(coefficients) != 1:
        raise ProductError(f"{ref}: both Gamma0 and Sigma0 files")
    epsg, nodata, extent, _tags = _file_facts(assets[0].href)
    dim = data_folder.parent / f"{ref}.dim"
    found = _PASS_RE.search(dim.read_text(errors="replace")) if dim.is_file() else None
    direction, source = _direction(found.group(1) if found else None, start, extent)
    return r.SarRecord(
        product_id=ref, kind=r.BS, platform=platform, sensing_time=start, second_time=None,
        orbit_direction=direction, direction_source=source, relative_orbit=relative,
        absolute_orbit=absolute, footprint_wkt=extent.wkt, epsg=epsg,
        coefficient=coefficients.pop(), nodata=0.0 if nodata is None else _value(nodata),
        source_format="card", source_href=str(data_folder), assets=tuple(assets),
    )  # fmt: skip


def _value(nodata: float) -> float | None:
    return None if nodata != nodata else float(nodata)  # NaN: None


def read_coh6(tif: Path) -> r.SarRecord:
    ref = tif.stem
    platform, start, absolute, relative = _name_facts(ref)
    epsg, nodata, extent, tags = _file_facts(str(tif))
    upper = {k.upper(): v for k, v in tags.items()}
    stamps = sorted({_stamp(s) for s in _STAMP_RE.findall(ref)})
    later = [s for s in stamps if s.date() != start.date()]
    if later:
        second = later[0]
    elif "SECOND_DATE" in upper:
        second = whole_seconds(parse_time(upper["SECOND_DATE"]))
    else:
        raise ProductError(f"{ref}: no second date (in the name or a SECOND_DATE tag)")
    pass_text = upper.get("PASS") or upper.get("ORBIT_DIRECTION")
    direction, source = _direction(pass_text, start, extent)
    bands = described_bands(str(tif))
    assets = tuple(r.SarAssetRecord(p, str(tif), i) for p, i in sorted(bands.items()))
    return r.SarRecord(
        product_id=ref, kind=r.COH6, platform=platform, sensing_time=start, second_time=second,
        orbit_direction=direction, direction_source=source, relative_orbit=relative,
        absolute_orbit=absolute, footprint_wkt=extent.wkt, epsg=epsg, coefficient="coherence",
        nodata=0.0 if nodata is None else _value(nodata), source_format="card",
        source_href=str(tif), assets=assets,
    )  # fmt: skip


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
