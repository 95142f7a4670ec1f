"""Write a product as a SAFE folder: 15-bit lossless JP2 bands and the metadata files.

The XML follows the element names and nesting of real products (MTD_MSIL2A.xml or
MTD_MSIL1C.xml, GRANULE/*/MTD_TL.xml, manifest.safe) for what a reader needs; angle grids,
GIPP lists and QI masks are left out. Geoposition and Size state the crop window, so the
metadata agrees with the pixels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import rasterio

from demo.generator.calendar import SPACECRAFT
from demo.generator.product import Product
from demo.generator.scene_pixels import SPECTRAL

_NS = {
    "L2A": "https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd",
    "L1C": "https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd",
    "TL2A": "https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-2A_Tile_Metadata.xsd",
    "TL1C": "https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-1C_Tile_Metadata.xsd",
}
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SCL_NAMES = (
    "NODATA", "SATURATED_DEFECTIVE", "DARK_FEATURE_SHADOW", "CLOUD_SHADOW", "VEGETATION",
    "NOT_VEGETATED", "WATER", "UNCLASSIFIED", "CLOUD_MEDIUM_PROBA", "CLOUD_HIGH_PROBA",
    "THIN_CIRRUS", "SNOW_ICE",
)  # fmt: skip


def _iso(dt: object, frac: str = ".000000Z") -> str:
    return f"{dt:%Y-%m-%dT%H:%M:%S}{frac}"


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = str(text)
    return el


def _root(tag: str, ns: str) -> ET.Element:
    ET.register_namespace("n1", ns)
    ET.register_namespace("xsi", _XSI)
    return ET.Element(f"{{{ns}}}{tag}", {f"{{{_XSI}}}schemaLocation": ns})


def _write_xml(root: ET.Element, path: Path) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


def write_jp2(path: Path, array: np.ndarray, product: Product, res: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "JP2OpenJPEG",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": f"EPSG:{product.crop.grid.epsg}",
        "transform": product.crop.transform(res),
        "QUALITY": 100,
        "REVERSIBLE": "YES",
        # rasterio drops an uppercase BLOCKXSIZE for this driver without a word.
        "blockxsize": 1024,
        "blockysize": 1024,
    }
    if array.dtype == np.uint16:
        profile["NBITS"] = 15
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)


def product_metadata(p: Product) -> ET.Element:
    t = p.take
    ns = _NS[p.level]
    root = _root(f"Level-{p.level[1:]}_User_Product", ns)
    gi = _sub(root, f"{{{ns}}}General_Info")
    info = _sub(gi, "Product_Info")
    start = _iso(t.sensing, f".{t.sensing.microsecond // 1000:03d}Z")
    _sub(info, "PRODUCT_START_TIME", start)
    _sub(info, "PRODUCT_STOP_TIME", start)
    _sub(info, "PRODUCT_URI", p.product_id + ".SAFE")
    _sub(info, "PROCESSING_LEVEL", f"Level-{p.level[1:]}")
    _sub(info, "PRODUCT_TYPE", "S2MSI2A" if p.level == "L2A" else "S2MSI1C")
    _sub(info, "PROCESSING_BASELINE", t.baseline)
    _sub(info, "GENERATION_TIME", _iso(p.generation))
    dt = _sub(info, "Datatake", datatakeIdentifier=p.datatake_id)
    _sub(dt, "SPACECRAFT_NAME", SPACECRAFT[t.mission])
    _sub(dt, "DATATAKE_TYPE", "INS-NOBS")
    _sub(dt, "DATATAKE_SENSING_START", start)
    _sub(dt, "SENSING_ORBIT_NUMBER", t.relative_orbit)
    _sub(dt, "SENSING_ORBIT_DIRECTION", "DESCENDING")
    qo = _sub(info, "Query_Options", completeSingleTile="true")
    _sub(qo, "PRODUCT_FORMAT", "SAFE_COMPACT")
    org = _sub(info, "Product_Organisation")
    granule = _sub(
        _sub(org, "Granule_List"),
        "Granule",
        datastripIdentifier=p.datastrip_id,
        granuleIdentifier=p.tile_id(),
        imageFormat="JPEG2000",
    )
    for band, res in p.files:
        _sub(granule, "IMAGE_FILE", p.band_stem(band, res))
    chars = _sub(gi, "Product_Image_Characteristics")
    for text, index in (("NODATA", 0), ("SATURATED", 65535)):
        sv = _sub(chars, "Special_Values")
        _sub(sv, "SPECIAL_VALUE_TEXT", text)
        _sub(sv, "SPECIAL_VALUE_INDEX", index)
    quant = _sub(chars, "QUANTIFICATION_VALUES_LIST")
    if p.level == "L2A":
        _sub(quant, "BOA_QUANTIFICATION_VALUE", 10000, unit="none")
        if t.radiometric_offset:
            offsets = _sub(chars, "BOA_ADD_OFFSET_VALUES_LIST")
            for i in range(13):
                _sub(offsets, "BOA_ADD_OFFSET", t.radiometric_offset, band_id=str(i))
    else:
        _sub(chars, "QUANTIFICATION_VALUE", 10000, unit="none")
        if t.radiometric_offset:
            offsets = _sub(chars, "Radiometric_Offset_List")
            for i in range(13):
                _sub(offsets, "RADIO_ADD_OFFSET", t.radiometric_offset, band_id=str(i))
    spectral = _sub(chars, "Spectral_Information_List")
    for i, band in enumerate(SPECTRAL):
        si = _sub(spectral, "Spectral_Information", bandId=str(i), physicalBand=_physical(band))
        _sub(si, "RESOLUTION", {"B01": 60, "B09": 60, "B10": 60}.get(band, _native(band)))
    if p.level == "L2A":
        scl_list = _sub(chars, "Scene_Classification_List")
        for i, name in enumerate(_SCL_NAMES):
            sc = _sub(scl_list, "Scene_Classification_ID")
            _sub(sc, "SCENE_CLASSIFICATION_TEXT", f"SC_{name}")
            _sub(sc, "SCENE_CLASSIFICATION_INDEX", i)
    geo = _sub(root, f"{{{ns}}}Geometric_Info")
    fp = _sub(geo, "Product_Footprint")
    glob = _sub(_sub(fp, "Product_Footprint"), "Global_Footprint")
    _sub(glob, "EXT_POS_LIST", " ".join(f"{lat:.12g} {lon:.12g}" for lon, lat in p.footprint))
    _sub(fp, "RASTER_CS_TYPE", "POINT")
    _sub(fp, "PIXEL_ORIGIN", 1)
    crs = _sub(geo, "Coordinate_Reference_System")
    _sub(crs, "GEO_TABLES", "EPSG", version="1")
    _sub(crs, "HORIZONTAL_CS_TYPE", "GEOGRAPHIC")
    qi = _sub(root, f"{{{ns}}}Quality_Indicators_Info")
    _sub(qi, "Cloud_Coverage_Assessment", f"{p.cloud_cover:.6f}")
    if p.level == "L2A":
        content = _sub(qi, "Image_Content_QI")
        _sub(content, "NODATA_PIXEL_PERCENTAGE", f"{p.nodata_pct:.6f}")
        for i, name in enumerate(_SCL_NAMES[2:], start=2):
            tag = {
                "CLOUD_MEDIUM_PROBA": "MEDIUM_PROBA_CLOUDS",
                "CLOUD_HIGH_PROBA": "HIGH_PROBA_CLOUDS",
                "DARK_FEATURE_SHADOW": "DARK_FEATURES",
            }.get(name, name)
            _sub(content, f"{tag}_PERCENTAGE", f"{p.scl_pct.get(i, 0.0):.6f}")
    return root


def _native(band: str) -> int:
    return 10 if band in ("B02", "B03", "B04", "B08") else 20


def _physical(band: str) -> str:
    return "B8A" if band == "B8A" else f"B{int(band[1:])}"


def tile_metadata(p: Product) -> ET.Element:
    ns = _NS["T" + p.level]
    root = _root(f"Level-{p.level[1:]}_Tile_ID", ns)
    gi = _sub(root, f"{{{ns}}}General_Info")
    if p.level == "L2A":
        _sub(gi, "L1C_TILE_ID", p.tile_id("L1C"), metadataLevel="Brief")
    _sub(gi, "TILE_ID", p.tile_id(), metadataLevel="Brief")
    _sub(gi, "DATASTRIP_ID", p.datastrip_id, metadataLevel="Standard")
    _sub(gi, "DOWNLINK_PRIORITY", "NOMINAL", metadataLevel="Standard")
    _sub(gi, "SENSING_TIME", _iso(p.datastrip_start), metadataLevel="Standard")
    geo = _sub(root, f"{{{ns}}}Geometric_Info")
    tg = _sub(geo, "Tile_Geocoding", metadataLevel="Brief")
    zone = p.crop.grid.zone
    hemi = "N" if p.crop.grid.epsg < 32700 else "S"
    _sub(tg, "HORIZONTAL_CS_NAME", f"WGS84 / UTM zone {zone}{hemi}")
    _sub(tg, "HORIZONTAL_CS_CODE", f"EPSG:{p.crop.grid.epsg}")
    for res in (10, 20, 60):
        rows, cols = p.crop.shape(res)
        size = _sub(tg, "Size", resolution=str(res))
        _sub(size, "NROWS", rows)
        _sub(size, "NCOLS", cols)
    for res in (10, 20, 60):
        pos = _sub(tg, "Geoposition", resolution=str(res))
        _sub(pos, "ULX", p.crop.ulx)
        _sub(pos, "ULY", p.crop.uly)
        _sub(pos, "XDIM", res)
        _sub(pos, "YDIM", -res)
    angles = _sub(geo, "Tile_Angles", metadataLevel="Standard")
    mean = _sub(angles, "Mean_Sun_Angle")
    _sub(mean, "ZENITH_ANGLE", f"{p.sun_zenith:.4f}", unit="deg")
    _sub(mean, "AZIMUTH_ANGLE", "155.0000", unit="deg")
    qi = _sub(root, f"{{{ns}}}Quality_Indicators_Info", metadataLevel="Standard")
    content = _sub(qi, "Image_Content_QI")
    _sub(content, "CLOUDY_PIXEL_PERCENTAGE", f"{p.cloud_cover:.6f}")
    _sub(content, "NODATA_PIXEL_PERCENTAGE", f"{p.nodata_pct:.6f}")
    return root


def manifest(p: Product, files: list[Path], safe_dir: Path) -> ET.Element:
    xfdu = "urn:ccsds:schema:xfdu:1"
    safe = "http://www.esa.int/safe/sentinel/1.1"
    gml = "http://www.opengis.net/gml"
    for prefix, uri in (("xfdu", xfdu), ("safe", safe), ("gml", gml)):
        ET.register_namespace(prefix, uri)
    level = f"Level-{p.level[1:]}"
    root = ET.Element(
        f"{{{xfdu}}}XFDU",
        version=f"esa/safe/sentinel/1.1/sentinel-2/msi/archive_l{p.level[1:].lower()}_user_product",
    )
    ipm = _sub(root, "informationPackageMap")
    unit = _sub(
        ipm,
        f"{{{xfdu}}}contentUnit",
        unitType=f"Product_{level}",
        textInfo=f"SENTINEL-2 MSI {level} User Product",
        pdiID="processing",
    )
    for i, _ in enumerate(files):
        cu = _sub(
            unit,
            f"{{{xfdu}}}contentUnit",
            ID=f"DataObject{i}_Unit",
            unitType="Measurement Data Unit",
        )
        _sub(cu, "dataObjectPointer", dataObjectID=f"DataObject{i}")
    meta = _sub(root, "metadataSection")

    def wrapped(obj_id: str, text: str) -> ET.Element:
        mo = _sub(meta, "metadataObject", ID=obj_id, category="DMD", classification="DESCRIPTION")
        mw = _sub(
            mo, "metadataWrap", mimeType="text/xml", textInfo=text, vocabularyName="Sentinel-SAFE"
        )
        return _sub(mw, "xmlData")

    period = _sub(
        wrapped("acquisitionPeriod", "Acquisition Period"), f"{{{safe}}}acquisitionPeriod"
    )
    _sub(
        period,
        f"{{{safe}}}startTime",
        _iso(p.take.sensing, f".{p.take.sensing.microsecond // 1000:03d}Z"),
    )
    orbit = _sub(
        wrapped("measurementOrbitReference", "Orbit Reference"), f"{{{safe}}}orbitReference"
    )
    _sub(
        orbit,
        f"{{{safe}}}orbitNumber",
        f"{p.take.absolute_orbit:06d}",
        groundTrackDirection="descending",
        type="start",
    )
    _sub(orbit, f"{{{safe}}}relativeOrbitNumber", f"{p.take.relative_orbit:03d}", type="start")
    platform = _sub(wrapped("platform", "Platform Description"), f"{{{safe}}}platform")
    _sub(
        platform,
        f"{{{safe}}}nssdcIdentifier",
        "2015-028A" if p.take.mission == "S2A" else "2017-013A",
    )
    _sub(platform, f"{{{safe}}}familyName", "SENTINEL")
    _sub(platform, f"{{{safe}}}number", p.take.mission[1:])
    frame = _sub(wrapped("measurementFrameSet", "Frame Set"), f"{{{safe}}}frameSet")
    foot = _sub(
        frame, f"{{{safe}}}footPrint", srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"
    )
    _sub(
        foot,
        f"{{{gml}}}coordinates",
        " ".join(f"{lat:.12g} {lon:.12g}" for lon, lat in p.footprint),
    )
    section = _sub(root, "dataObjectSection")
    for i, path in enumerate(files):
        obj = _sub(section, "dataObject", ID=f"DataObject{i}")
        mime = "text/xml" if path.suffix == ".xml" else "application/octet-stream"
        stream = _sub(obj, "byteStream", mimeType=mime, size=str(path.stat().st_size))
        _sub(stream, "fileLocation", locatorType="URL", href=f"./{path.relative_to(safe_dir)}")
        _sub(stream, "checksum", hashlib.md5(path.read_bytes()).hexdigest(), checksumName="MD5")
    return root


def write_safe(p: Product, archive: Path) -> Path:
    """Write the product under archive/safe/Sentinel-2/MSI/<level>/YYYY/MM/DD/; return it."""
    day = p.take.sensing
    safe_dir = (
        archive
        / "safe"
        / "Sentinel-2"
        / "MSI"
        / p.level
        / f"{day:%Y/%m/%d}"
        / f"{p.product_id}.SAFE"
    )
    written: list[Path] = []
    for (band, res), array in p.files.items():
        path = safe_dir / f"{p.band_stem(band, res)}.jp2"
        write_jp2(path, array, p, res)
        written.append(path)
    granule = safe_dir / "GRANULE" / p.granule_dir
    granule.mkdir(parents=True, exist_ok=True)
    _write_xml(tile_metadata(p), granule / "MTD_TL.xml")
    top = safe_dir / f"MTD_MSI{p.level}.xml"
    _write_xml(product_metadata(p), top)
    written[:0] = [top, granule / "MTD_TL.xml"]
    _write_xml(manifest(p, written, safe_dir), safe_dir / "manifest.safe")
    return safe_dir
