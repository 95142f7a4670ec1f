"""Read STAC items and item collections of Sentinel-2 products into SceneRecords (no Django).

Flavours understood (each seen in real items):
- Earth Search v1 (sentinel-2-l2a / -l1c): asset keys by common name (red, nir08, scl ...),
  grid:code "MGRS-29RKH", s2:product_uri, s2:processing_baseline, earthsearch:boa_offset_applied.
- Earth Search v0 (sentinel-s2-l2a-cogs): asset keys B01..B12, B8A, SCL; sentinel:utm_zone,
  sentinel:latitude_band, sentinel:grid_square, sentinel:product_id.
- Planetary Computer (sentinel-2-l2a): asset keys B01..SCL; s2:mgrs_tile, s2:product_uri.
- Copernicus Data Space (STAC 1.1): the item id is the product id, asset keys per band and
  resolution (B04_10m, B05_20m, SCL_20m), processing:version, proj:code "EPSG:32631".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pystac

from chips.catalogue.sources.footprint import footprint_from_geojson
from chips.catalogue.sources.records import (
    PRODUCT_ID_RE,
    AssetRecord,
    ProductError,
    SceneRecord,
    offset_for_baseline,
    parse_product_id,
    parse_time,
    whole_seconds,
)
from chips.raster.bands import BAND_RESOLUTION, LEVEL_BANDS, tile_epsg

# Earth Search v1 names assets by the band's common name.
EARTH_SEARCH_V1_KEYS = {
    "coastal": "B01",
    "blue": "B02",
    "green": "B03",
    "red": "B04",
    "rededge1": "B05",
    "rededge2": "B06",
    "rededge3": "B07",
    "nir": "B08",
    "nir08": "B8A",
    "nir09": "B09",
    "cirrus": "B10",
    "swir16": "B11",
    "swir22": "B12",
    "scl": "SCL",
}
# Earth Search v0 and Planetary Computer: the band name itself.
BAND_KEYS = {band: band for band in BAND_RESOLUTION}
# Copernicus Data Space: B04_10m, SCL_20m; only the native resolution is kept.
_CDSE_KEY_RE = re.compile(r"^(B0[1-9]|B1[0-2]|B8A|SCL)_(10|20|60)m$")
_PRODUCT_TYPES = {"S2MSI2A": "LEVEL2A", "S2MSI1C": "LEVEL1C"}
_REMOTE_PREFIXES = ("https://", "http://", "s3://", "/vsi")


@dataclass(frozen=True)
class StacProduct:
    """One item read from a file: its record, or why it could not be read."""

    label: str  # file path, plus "#item-id" inside an item collection
    record: SceneRecord | None
    error: str | None


def find_stac_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files given, and every *.json under the folders given (sorted)."""
    for path in paths:
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                for name in sorted(files):
                    if name.lower().endswith(".json"):
                        yield Path(folder) / name
        else:
            yield path


def read_stac_file(path: Path, *, require_band_files: bool = True) -> list[StacProduct]:
    """Every item in a STAC item or item collection file.

    STAC catalogs and collections found while walking a static catalogue are not products
    and give an empty list; any other JSON, or a file that is not JSON, is one broken entry.
    """
    label = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [StacProduct(label, None, f"not a JSON file ({exc})")]
    kind = document.get("type") if isinstance(document, dict) else None
    if kind in ("Catalog", "Collection"):
        return []
    if kind == "Feature":
        features, in_collection = [document], False
    elif kind == "FeatureCollection" and isinstance(document.get("features"), list):
        features, in_collection = document["features"], True
    else:
        return [StacProduct(label, None, "not a STAC item or item collection")]

    products = []
    for feature in features:
        item_label = f"{label}#{feature.get('id')}" if in_collection else label
        try:
            record = read_stac_item(
                feature,
                item_path=path,
                source_href=item_label,
                require_band_files=require_band_files,
            )
        except ProductError as exc:
            products.append(StacProduct(item_label, None, str(exc)))
        else:
            products.append(StacProduct(item_label, record, None))
    return products


def read_stac_item(
    feature: dict[str, Any], *, item_path: Path, source_href: str, require_band_files: bool
) -> SceneRecord:
    """The catalogue record of one STAC item (a GeoJSON Feature as a dict)."""
    try:
        item = pystac.Item.from_dict(feature, preserve_dict=True, migrate=True)
    except Exception as exc:  # pystac raises many kinds (KeyError, STACTypeError, ...)
        raise ProductError(f"not a valid STAC item ({type(exc).__name__}: {exc})") from exc
    props = item.properties

    uri = props.get("s2:product_uri") or props.get("sentinel:product_id")
    if not uri and PRODUCT_ID_RE.match(item.id.removesuffix(".SAFE")):
        uri = item.id  # Copernicus Data Space: the item id is the product id
    product_id = (uri or item.id).removesuffix(".SAFE")
    name = parse_product_id(product_id)

    level = _level(item, name.level if name else None)
    tile = _tile(props) or (name.tile if name else None)
    if tile is None:
        raise ProductError("no MGRS tile (grid:code, s2:mgrs_tile, sentinel:* or product id)")
    baseline = (
        props.get("s2:processing_baseline")
        or props.get("processing:version")
        or (name.baseline if name else None)
    )
    if not baseline:
        raise ProductError("no processing baseline (s2:processing_baseline, processing:version)")
    orbit = props.get("sat:relative_orbit") or (name.relative_orbit if name else None)
    if orbit is None:
        raise ProductError("no relative orbit (sat:relative_orbit or product id)")
    # The catalogue keeps the datatake sensing start (the product id's time, the same for
    # every tile of an overpass); the item datetime is the tile's own, a few minutes later.
    if name is not None:
        sensing = name.sensing_time
    elif item.datetime is not None:
        sensing = whole_seconds(item.datetime)
    else:
        raise ProductError("no datetime and no product id")
    generation_text = props.get("s2:generation_time")
    generation = parse_time(generation_text) if generation_text else None
    if generation is None and name is not None:
        generation = name.generation_time
    cloud = props.get("eo:cloud_cover")

    offset = offset_for_baseline(level, str(baseline))
    if props.get("earthsearch:boa_offset_applied") is True:
        # Earth Search re-wrote these COGs with the -1000 already added to every DN, so
        # (DN / 10000) is the reflectance: adding the offset again would count it twice.
        offset = 0

    return SceneRecord(
        product_id=product_id,
        mission=_mission(props, name.mission if name else None),
        level=level,
        tile=tile,
        relative_orbit=int(orbit),
        sensing_time=sensing,
        processing_baseline=str(baseline),
        generation_time=generation,
        cloud_cover=float(cloud) if cloud is not None else None,
        footprint_wkt=footprint_from_geojson(feature.get("geometry")).wkt,
        epsg=_epsg(item, tile),
        radiometric_offset=offset,
        source_format="stac",
        source_href=source_href,
        assets=_assets(item, level, item_path, require_band_files=require_band_files),
    )


def _level(item: pystac.Item, from_name: str | None) -> str:
    if from_name:
        return from_name
    props = item.properties
    product_type = props.get("s2:product_type") or props.get("product:type")
    if product_type in _PRODUCT_TYPES:
        return _PRODUCT_TYPES[product_type]
    hint = f"{item.collection_id or ''} {item.id}".lower()
    if "l2a" in hint:
        return "LEVEL2A"
    if "l1c" in hint:
        return "LEVEL1C"
    raise ProductError("cannot tell L1C from L2A (no product id, product type or collection)")


def _tile(props: dict[str, Any]) -> str | None:
    grid = props.get("grid:code")
    if isinstance(grid, str) and grid.startswith("MGRS-"):
        return grid.removeprefix("MGRS-")
    if props.get("s2:mgrs_tile"):
        return str(props["s2:mgrs_tile"])
    for prefix in ("mgrs:", "sentinel:"):
        zone = props.get(f"{prefix}utm_zone")
        band = props.get(f"{prefix}latitude_band")
        square = props.get(f"{prefix}grid_square")
        if zone is not None and band and square:
            return f"{int(zone):02d}{band}{square}"
    return None


def _mission(props: dict[str, Any], from_name: str | None) -> str:
    if from_name:
        return from_name
    match = re.fullmatch(r"sentinel-2([a-d])", str(props.get("platform", "")).lower())
    if match is None:
        raise ProductError(f"unknown platform {props.get('platform')!r}")
    return f"S2{match[1].upper()}"


def _epsg(item: pystac.Item, tile: str) -> int:
    sources = [item.properties] + [asset.extra_fields for asset in item.assets.values()]
    for fields in sources:
        if fields.get("proj:epsg"):
            return int(fields["proj:epsg"])
        code = fields.get("proj:code")
        if isinstance(code, str) and code.upper().startswith("EPSG:"):
            return int(code[5:])
    # An MGRS tile lies in one UTM zone, so its id names the CRS.
    return tile_epsg(tile)


def _assets(
    item: pystac.Item, level: str, item_path: Path, *, require_band_files: bool
) -> tuple[AssetRecord, ...]:
    bands = LEVEL_BANDS[level]
    found: dict[str, AssetRecord] = {}
    for key, asset in item.assets.items():
        band = EARTH_SEARCH_V1_KEYS.get(key) or BAND_KEYS.get(key)
        match = _CDSE_KEY_RE.match(key)
        if band is None and match and int(match[2]) == BAND_RESOLUTION[match[1]]:
            band = match[1]
        if band is None or band not in bands or band in found:
            continue
        href = _resolve(asset.href, item_path, require=require_band_files)
        found[band] = AssetRecord(band=band, resolution=BAND_RESOLUTION[band], href=href)
    if not found:
        raise ProductError("no band assets with a known key")
    return tuple(found[b] for b in sorted(found))


def _resolve(href: str, item_path: Path, *, require: bool) -> str:
    """Remote hrefs as they are (the extractor maps them to /vsicurl/ and /vsis3/); local
    ones, relative hrefs against the item file's folder (the STAC rule), as absolute paths."""
    if href.startswith(_REMOTE_PREFIXES):
        return href
    local = Path(href.removeprefix("file://"))
    if not local.is_absolute():
        local = item_path.resolve().parent / local
    local = Path(os.path.normpath(local))
    if require and not local.is_file():
        raise ProductError(f"missing band file {local}")
    return str(local)
