"""Read a Sentinel-2 .SAFE product (L1C or L2A) into a SceneRecord (no Django).

Facts come from the product metadata (MTD_MSIL1C.xml / MTD_MSIL2A.xml) and the granule
metadata (GRANULE/*/MTD_TL.xml). Tags are matched on their local names, so the parser
does not depend on the namespace URIs, which change between processing baselines.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from shapely.geometry import MultiPolygon

from chips.catalogue.sources.footprint import footprint_from_lonlat
from chips.catalogue.sources.records import (
    LEVELS,
    AssetRecord,
    ProductError,
    SceneRecord,
    parse_time,
    whole_seconds,
)
from chips.raster.bands import BAND_RESOLUTION, LEVEL_BANDS

PRODUCT_MTD = {"MTD_MSIL2A.xml": "LEVEL2A", "MTD_MSIL1C.xml": "LEVEL1C"}

# L2A: ..._B04_10m, ..._SCL_20m (one file per band and resolution); L1C: ..._B04.
_L2A_FILE_RE = re.compile(r"_(B0[1-9]|B1[0-2]|B8A|SCL)_(10|20|60)m$")
_L1C_FILE_RE = re.compile(r"_(B0[1-9]|B1[0-2]|B8A)$")
_TILE_RE = re.compile(r"_T(\d{2}[A-Z]{3})(?:_|$)")
# The Granule imageFormat attribute says which extension the IMAGE_FILE entries omit.
_FORMAT_EXTENSION = {"JPEG2000": ".jp2", "GeoTIFF": ".tif"}
_BAND_EXTENSIONS = (".jp2", ".tif")


def find_safe_products(root: Path) -> Iterator[Path]:
    """Every folder named *.SAFE under root, at any depth (not looking inside a product)."""
    if root.name.endswith(".SAFE") and root.is_dir():
        yield root
        return
    for folder, subfolders, _files in os.walk(root):
        subfolders.sort()
        for name in [s for s in subfolders if s.endswith(".SAFE")]:
            subfolders.remove(name)
            yield Path(folder) / name


def read_safe(product_dir: Path, *, require_band_files: bool = True) -> SceneRecord:
    """The catalogue record of one product.

    With require_band_files (the default) every band file the metadata lists must exist,
    else the product is broken. Without it, products that carry metadata only (a partial
    sync, or the metadata-only test fixtures) are catalogued with the band paths their
    metadata names.
    """
    mtd_path, level = _product_mtd(product_dir)
    mtd = _parse_xml(mtd_path)
    tl_path = _granule_mtd(product_dir)
    tl = _parse_xml(tl_path)

    uri = _text(mtd, "PRODUCT_URI") or product_dir.name
    product_id = uri.removesuffix(".SAFE")
    processing_level = _text(mtd, "PROCESSING_LEVEL") or ""
    stated_level = LEVELS.get(processing_level.replace("Level-", "L"))
    if stated_level is not None and stated_level != level:
        raise ProductError(f"{mtd_path.name} says {processing_level}")

    tile = _tile(product_id, tl_path.parent.name, _text(tl, "TILE_ID") or "")
    epsg_text = _required(tl, "HORIZONTAL_CS_CODE", tl_path)
    try:
        epsg = int(epsg_text.upper().removeprefix("EPSG:"))
    except ValueError as exc:
        raise ProductError(f"HORIZONTAL_CS_CODE {epsg_text!r} is not an EPSG code") from exc

    generation = _text(mtd, "GENERATION_TIME")
    cloud = _text(mtd, "Cloud_Coverage_Assessment")
    try:
        return SceneRecord(
            product_id=product_id,
            mission=_mission(_required(mtd, "SPACECRAFT_NAME", mtd_path)),
            level=level,
            tile=tile,
            relative_orbit=int(_required(mtd, "SENSING_ORBIT_NUMBER", mtd_path)),
            sensing_time=whole_seconds(parse_time(_required(mtd, "PRODUCT_START_TIME", mtd_path))),
            processing_baseline=_required(mtd, "PROCESSING_BASELINE", mtd_path),
            generation_time=parse_time(generation) if generation else None,
            cloud_cover=float(cloud) if cloud else None,
            footprint_wkt=_footprint(mtd, mtd_path).wkt,
            epsg=epsg,
            radiometric_offset=_offset(mtd, level),
            source_format="safe",
            source_href=str(product_dir.resolve()),
            assets=_assets(product_dir, mtd, level, require_band_files=require_band_files),
        )
    except ValueError as exc:  # a number or a time that does not parse
        raise ProductError(f"{mtd_path.name}: {exc}") from exc


def _product_mtd(product_dir: Path) -> tuple[Path, str]:
    for name, level in PRODUCT_MTD.items():
        if (product_dir / name).is_file():
            return product_dir / name, level
    raise ProductError("no MTD_MSIL1C.xml or MTD_MSIL2A.xml: not a Sentinel-2 product")


def _granule_mtd(product_dir: Path) -> Path:
    found = sorted(product_dir.glob("GRANULE/*/MTD_TL.xml"))
    if len(found) != 1:
        raise ProductError(f"expected one GRANULE/*/MTD_TL.xml, found {len(found)}")
    return found[0]


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ProductError(f"{path.name} is not well-formed XML ({exc})") from exc
    except OSError as exc:
        raise ProductError(f"{path.name} cannot be read ({exc.strerror})") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(root: ET.Element, name: str) -> Iterator[ET.Element]:
    return (el for el in root.iter() if _local(el.tag) == name)


def _text(root: ET.Element, name: str) -> str | None:
    for el in _elements(root, name):
        if el.text and el.text.strip():
            return el.text.strip()
    return None


def _required(root: ET.Element, name: str, path: Path) -> str:
    value = _text(root, name)
    if value is None:
        raise ProductError(f"{path.name} has no {name}")
    return value


def _mission(spacecraft: str) -> str:
    # "Sentinel-2A" -> "S2A"
    match = re.fullmatch(r"Sentinel-2([A-D])", spacecraft.strip())
    if match is None:
        raise ProductError(f"unknown SPACECRAFT_NAME {spacecraft!r}")
    return f"S2{match[1]}"


def _tile(*names: str) -> str:
    for name in names:
        match = _TILE_RE.search(name)
        if match:
            return match[1]
    raise ProductError("no MGRS tile in the product, granule or tile id")


def _footprint(mtd: ET.Element, path: Path) -> MultiPolygon:
    # The data footprint (where the product has pixels), not the tile square.
    for footprint in _elements(mtd, "Product_Footprint"):
        text = _text(footprint, "EXT_POS_LIST")
        if text:
            break
    else:
        raise ProductError(f"{path.name} has no Product_Footprint EXT_POS_LIST")
    numbers = [float(v) for v in text.split()]
    if len(numbers) % 2:
        raise ProductError(f"{path.name}: EXT_POS_LIST has an odd number of values")
    # EXT_POS_LIST is lat lon lat lon ...; geometries are lon/lat.
    lonlat = [(numbers[i + 1], numbers[i]) for i in range(0, len(numbers), 2)]
    return footprint_from_lonlat(lonlat)


def _offset(mtd: ET.Element, level: str) -> int:
    # Per band in the metadata, but the same -1000 for every band in every baseline so far;
    # the catalogue keeps one value, so refuse a product where they differ.
    name = "BOA_ADD_OFFSET" if level == "LEVEL2A" else "RADIO_ADD_OFFSET"
    values = {int(float(el.text)) for el in _elements(mtd, name) if el.text and el.text.strip()}
    if len(values) > 1:
        raise ProductError(f"{name} differs between bands: {sorted(values)}")
    return values.pop() if values else 0


def _assets(
    product_dir: Path, mtd: ET.Element, level: str, *, require_band_files: bool
) -> tuple[AssetRecord, ...]:
    """One asset per band, at the band's native resolution (B04 from R10m, B11 from R20m)."""
    pattern = _L2A_FILE_RE if level == "LEVEL2A" else _L1C_FILE_RE
    bands = LEVEL_BANDS[level]
    entries: list[tuple[str, str]] = []  # (IMAGE_FILE without extension, imageFormat)
    for granule in _elements(mtd, "Granule"):
        image_format = granule.get("imageFormat", "JPEG2000")
        files = [el.text for el in _elements(granule, "IMAGE_FILE") if el.text is not None]
        entries += [(text.strip(), image_format) for text in files]

    assets: dict[str, AssetRecord] = {}
    for entry, image_format in entries:
        match = pattern.search(entry)
        if match is None or match[1] not in bands:
            continue  # TCI, AOT, WVP, or a band at a resampled resolution
        band = match[1]
        native = BAND_RESOLUTION[band]
        if level == "LEVEL2A" and int(match[2]) != native:
            continue
        assets[band] = AssetRecord(
            band=band,
            resolution=native,
            href=_band_file(product_dir, entry, image_format, require=require_band_files),
        )
    if not assets:
        raise ProductError("the metadata lists no band files (IMAGE_FILE)")
    return tuple(assets[b] for b in sorted(assets))


def _band_file(product_dir: Path, entry: str, image_format: str, *, require: bool) -> str:
    stem = product_dir.resolve() / entry
    for extension in _BAND_EXTENSIONS:
        candidate = stem.with_name(stem.name + extension)
        if candidate.is_file():
            return str(candidate)
    expected = stem.with_name(stem.name + _FORMAT_EXTENSION.get(image_format, ".jp2"))
    if require:
        relative = expected.relative_to(product_dir.resolve())
        if not any(product_dir.glob("GRANULE/*/IMG_DATA")):
            raise ProductError(f"no band files, not even IMG_DATA (metadata only?): {relative}")
        raise ProductError(f"missing band file {relative}")
    return str(expected)
