"""Read Sentinel-1 STAC items into SarRecords (no Django).

Flavours understood:
- Planetary Computer `sentinel-1-rtc`: assets `vv`/`vh` (`vv-rtc`/`vh-rtc` in the raw items
  before PC's ingest renames them; `hh`/`hv` for 1SDH products), linear terrain-corrected
  gamma0, nodata -32768; `sat:orbit_state`, `sat:relative_orbit`, `sat:absolute_orbit`,
  `proj:epsg`. Its raw items write the geometry in the product's UTM CRS (not lon/lat) and
  `start_datetime` with a space and an offset: both are read as they are.
- Copernicus Data Space style: the same `sat:`/`sar:` facts, `proj:code` "EPSG:32631",
  asset keys `VV`/`VH` (any case), `card4l:measurement_type` gamma0|sigma0.
- cbmweb's coherence items (docs/sentinel1.md): `sar:product_type` "COH6" (or "COH12",
  "CARD-COH6"), `cbmweb:pair` [first start, second start], assets `vv`/`vh` (one band each)
  or one two-band asset `coherence` whose band descriptions name VV and VH.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioError
from shapely.geometry.base import BaseGeometry

from chips.catalogue.sources import s1_records as r
from chips.catalogue.sources.footprint import footprint_from_geojson
from chips.catalogue.sources.records import ProductError, parse_time, whole_seconds
from chips.catalogue.sources.stac import _resolve
from chips.raster.gdal_env import gdal_path, raster_env, sidecars

COHERENCE_TYPES = ("COH6", "COH12", "CARD-COH6", "CARD-COH12")
PC_NODATA = -32768.0
_POL_KEYS = ("vv", "vh", "hh", "hv")


def is_s1_item(feature: dict[str, Any]) -> bool:
    props = feature.get("properties") or {}
    text = f"{props.get('platform', '')} {props.get('constellation', '')} {feature.get('id', '')}"
    return "SENTINEL-1" in text.upper() or str(feature.get("id", "")).startswith("S1")


def read_items(path: Path, *, require_band_files: bool = True) -> list[tuple[str, Any]]:
    """[(label, SarRecord or the reason it is broken)] of the items in a file; catalogs,
    collections and Sentinel-2 items give nothing."""
    label = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [(label, f"not a JSON file ({exc})")]
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        features, many = [document], False
    elif kind == "FeatureCollection" and isinstance(document.get("features"), list):
        features, many = document["features"], True
    else:
        return []
    out: list[tuple[str, Any]] = []
    for feature in features:
        if not isinstance(feature, dict) or not is_s1_item(feature):
            continue
        item_label = f"{label}#{feature.get('id')}" if many else label
        try:
            out.append((item_label, read_item(feature, path, item_label, require_band_files)))
        except ProductError as exc:
            out.append((item_label, str(exc)))
    return out


def read_item(
    feature: dict[str, Any], item_path: Path, source_href: str, require_band_files: bool
) -> r.SarRecord:
    props = feature.get("properties") or {}
    product_id = str(feature.get("id") or "")
    if not product_id:
        raise ProductError("item has no id")
    platform = r.platform_of(str(props.get("platform") or product_id))
    product_type = str(props.get("sar:product_type", "")).upper()
    coherence = product_type in COHERENCE_TYPES
    first, second = _times(props, coherence)
    epsg = _epsg(props, feature)
    absolute = props.get("sat:absolute_orbit")
    relative = props.get("sat:relative_orbit")
    if relative is None:
        name = r.grd_name_parts(product_id)
        absolute = absolute or (name[2] if name else None)
        if absolute is None:
            raise ProductError("no relative orbit (sat:relative_orbit, sat:absolute_orbit)")
        relative = r.relative_orbit(platform, int(absolute))
    footprint = _footprint(feature.get("geometry"), epsg)
    direction, source = _direction(props, first, footprint)
    assets = _assets(feature, item_path, require_band_files, coherence)
    return r.SarRecord(
        product_id=product_id,
        kind=r.COH6 if coherence else r.BS,
        platform=platform,
        sensing_time=first,
        second_time=second,
        orbit_direction=direction,
        direction_source=source,
        relative_orbit=int(relative),
        absolute_orbit=int(absolute) if absolute is not None else None,
        footprint_wkt=footprint.wkt,
        epsg=epsg,
        coefficient="coherence" if coherence else _coefficient(props),
        nodata=_nodata(feature, coherence),
        source_format="stac",
        source_href=source_href,
        assets=assets,
    )


def _times(props: dict[str, Any], coherence: bool) -> tuple[Any, Any]:
    if coherence:
        pair = props.get("cbmweb:pair")
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProductError("a coherence item needs cbmweb:pair [first, second]")
        first, second = sorted(whole_seconds(parse_time(str(t))) for t in pair)
        return first, second
    text = props.get("start_datetime") or props.get("datetime")
    if not text:
        raise ProductError("no start_datetime or datetime")
    try:
        return whole_seconds(parse_time(str(text))), None
    except ValueError as exc:
        raise ProductError(f"unreadable time {text!r}") from exc


def _epsg(props: dict[str, Any], feature: dict[str, Any]) -> int:
    sources = [props] + [a for a in (feature.get("assets") or {}).values() if isinstance(a, dict)]
    for fields in sources:
        if fields.get("proj:epsg"):
            return int(fields["proj:epsg"])
        code = fields.get("proj:code")
        if isinstance(code, str) and code.upper().startswith("EPSG:"):
            return int(code[5:])
    raise ProductError("no CRS (proj:epsg or proj:code)")


def _footprint(geometry: dict[str, Any] | None, epsg: int) -> shapely.MultiPolygon:
    """The item's geometry in lon/lat. PC's raw RTC items write it in the product's UTM
    CRS: coordinates outside lon/lat range are taken as such and reprojected."""
    if geometry and _outside_lonlat(geometry.get("coordinates")):
        shape = shapely.geometry.shape(geometry)
        tr = Transformer.from_crs(epsg, 4326, always_xy=True)
        lonlat = shapely.transform(shape, lambda xy: _xy(tr, xy))
        geometry = shapely.geometry.mapping(lonlat)
    return footprint_from_geojson(geometry)


def _xy(tr: Transformer, xy: np.ndarray) -> np.ndarray:
    xs, ys = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([xs, ys])


def _outside_lonlat(coords: Any) -> bool:
    if isinstance(coords, (int, float)):
        return abs(coords) > 180
    if isinstance(coords, list):
        return any(_outside_lonlat(c) for c in coords)
    return False


def _direction(props: dict[str, Any], when: Any, footprint: BaseGeometry) -> tuple[str, str]:
    state = str(props.get("sat:orbit_state", "")).upper()
    if state in (r.ASCENDING, r.DESCENDING):
        return state, "metadata"
    lon = footprint.centroid.x
    if not math.isfinite(lon):
        raise ProductError("no orbit direction and no footprint to derive it")
    return r.direction_from_solar_time(when, lon), "solar time"


def _coefficient(props: dict[str, Any]) -> str:
    stated = str(props.get("card4l:measurement_type") or props.get("sar:measurement_type") or "")
    if "sigma" in stated.lower():
        return "sigma0"
    return "gamma0"  # RTC and CARD4L are terrain-flattened gamma0


def _nodata(feature: dict[str, Any], coherence: bool) -> float | None:
    for asset in (feature.get("assets") or {}).values():
        bands = asset.get("raster:bands") if isinstance(asset, dict) else None
        if isinstance(bands, list) and bands and "nodata" in bands[0]:
            value = bands[0]["nodata"]
            return None if str(value).lower() == "nan" else float(value)
    props = feature.get("properties") or {}
    pc = "rtc" in str(feature.get("id", "")).lower() or "rtc" in str(props.get("collection", ""))
    return PC_NODATA if pc and not coherence else None


def _assets(
    feature: dict[str, Any], item_path: Path, require: bool, coherence: bool
) -> tuple[r.SarAssetRecord, ...]:
    found: dict[str, r.SarAssetRecord] = {}
    for key, asset in (feature.get("assets") or {}).items():
        if not isinstance(asset, dict) or "href" not in asset:
            continue
        if key.lower() == "coherence" and coherence:
            href = _resolve(asset["href"], item_path, require=True)
            for described, index in described_bands(href).items():
                found[described] = r.SarAssetRecord(described, href, index)
            continue
        # vv, vh-rtc, VV: the key names the polarisation (not "thumbnail", "rendered_preview").
        pol = r.polarisation_of(key) if key.lower().split("-")[0] in _POL_KEYS else None
        if pol is None or pol in found:
            continue
        found[pol] = r.SarAssetRecord(pol, _resolve(asset["href"], item_path, require=require))
    if not found:
        raise ProductError("no polarisation assets (vv, vh, vv-rtc, ...)")
    return tuple(found[p] for p in sorted(found))


def described_bands(href: str) -> dict[str, int]:
    """{polarisation: band index} of a multi-band file, from its band descriptions (never
    from the order: SNAP writes VH first when it splits "VH,VV")."""
    try:
        with raster_env(), sidecars(href), rasterio.open(gdal_path(href)) as src:
            descriptions = list(src.descriptions)
            tags = [src.tags(i + 1) for i in range(src.count)]
    except RasterioError as exc:
        raise ProductError(f"cannot read {Path(href).name}: {exc}") from exc
    found: dict[str, int] = {}
    for i, (text, band_tags) in enumerate(zip(descriptions, tags, strict=True)):
        pol = r.polarisation_of(" ".join([text or "", *band_tags.values()]))
        if pol is None:
            continue
        if pol in found:
            raise ProductError(f"two bands describe {pol}")
        found[pol] = i + 1
    if not found:
        raise ProductError("the band descriptions name no polarisation (VV, VH)")
    return found
