"""A small Sentinel-1 archive for the tests and the S1 benchmark (no Django): the real
pyroSAR VV backscatter (southern France, dB, nodata -99) turned into linear power and
placed inside the real Planetary Computer item's footprint (EPSG:32614), so the real
items can be ingested unchanged but for their hrefs; a VH file beside it; the same pixels
as a JRC CARD-BS folder (ENVI) of a descending pass; and a CARD-COH6 GeoTIFF whose bands
are stored VH first (read by their descriptions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine

REAL_VV = "s1/S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif"
PC_ITEMS = "s1/stac-items"
SDV_ITEM = "planetary-computer-s1-rtc_S1A_IW_GRDH_1SDV_20191215T004339_20191215T004404_030352_0378DC_rtc.json"  # noqa: E501
SDH_ITEM = "planetary-computer-s1-rtc_S1A_IW_GRDH_1SDH_20191215T105713_20191215T105738_030358_037912_rtc.json"  # noqa: E501
EPSG = 32614  # the SDV item's CRS
ULX, ULY, RES = 360000.0, 3462000.0, 20.0  # inside the SDV item's footprint
PC_NODATA = -32768.0
BS_REF = "S1B_IW_GRDH_1SDV_20191216T124512_20191216T124537_019345_0248A1_ABCD_CARD_BS"
COH_REF = "S1A_IW_SLC__1SDV_20191215T004339_20191215T004406_030352_0378DC_1A2B_CARD_COH6"


@dataclass(frozen=True)
class S1Archive:
    root: Path
    pc_item: Path  # raw keys vv-rtc / vh-rtc
    pc_item_ingested: Path  # keys vv / vh, another id
    sdh_item: Path
    card_root: Path  # CARD-BS and CARD-COH6 trees under it
    vv: Path
    vh: Path
    bs_vv: Path  # the JRC folder's ENVI files
    bs_vh: Path
    coh: Path

    @property
    def transform(self) -> Affine:
        return Affine(RES, 0, ULX, 0, -RES, ULY)


def real_linear(real: Path) -> np.ndarray:
    """The real VV pixels as linear power, float32, NaN where the source had nodata."""
    with rasterio.open(real / REAL_VV) as src:
        db = src.read(1).astype(np.float64)
        nodata = src.nodata
    linear = np.power(10.0, db / 10.0)
    linear[(db == nodata) | ~np.isfinite(db)] = np.nan
    return linear.astype(np.float32)


def _write(path: Path, bands: list[np.ndarray], *, nodata: float | None, driver: str = "GTiff",
           descriptions: list[str] | None = None, tags: dict[str, str] | None = None,
           res: float = RES) -> Path:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    profile: dict[str, Any] = {
        "driver": driver, "width": bands[0].shape[1], "height": bands[0].shape[0],
        "count": len(bands), "dtype": "float32", "crs": f"EPSG:{EPSG}",
        "transform": Affine(res, 0, ULX, 0, -res, ULY), "nodata": nodata,
    }  # fmt: skip
    if driver == "GTiff":
        profile.update(compress="DEFLATE", tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        for i, band in enumerate(bands, start=1):
            dst.write(band.astype(np.float32), i)
            if descriptions:
                dst.set_band_description(i, descriptions[i - 1])
        if tags:
            dst.update_tags(**tags)
    return path


def _filled(data: np.ndarray, nodata: float) -> np.ndarray:
    return np.where(np.isfinite(data), data, nodata).astype(np.float32)


def build(root: Path, real: Path) -> S1Archive:
    """Write the archive under root (idempotent: files are rewritten the same)."""
    vv = real_linear(real)
    rows, cols = np.indices(vv.shape)
    # VH: a fifth to a tenth of VV, varying across the scene (not a copy of VV).
    vh = vv * (0.1 + 0.1 * cols / vv.shape[1]).astype(np.float32)
    pc = root / "pc"
    vv_path = _write(pc / "vv.tif", [_filled(vv, PC_NODATA)], nodata=PC_NODATA)
    vh_path = _write(pc / "vh.tif", [_filled(vh, PC_NODATA)], nodata=PC_NODATA)
    items = real / PC_ITEMS
    raw = json.loads((items / SDV_ITEM).read_text())
    raw["assets"]["vv-rtc"]["href"] = "vv.tif"
    raw["assets"]["vh-rtc"]["href"] = "vh.tif"
    pc_item = pc / "item-raw.json"
    pc_item.write_text(json.dumps(raw))
    ingested = json.loads((items / SDV_ITEM).read_text())
    ingested["id"] = ingested["id"] + "_ingested"
    ingested["assets"] = {"vv": {**raw["assets"]["vv-rtc"]}, "vh": {**raw["assets"]["vh-rtc"]}}
    pc_ingested = pc / "item-ingested.json"
    pc_ingested.write_text(json.dumps(ingested))
    sdh = json.loads((items / SDH_ITEM).read_text())
    for key in list(sdh["assets"]):
        sdh["assets"][key]["href"] = "vv.tif"
    sdh_path = root / "sdh" / "item.json"
    sdh_path.parent.mkdir(parents=True, exist_ok=True)
    sdh_path.write_text(json.dumps(sdh))
    (root / "sdh" / "vv.tif").write_bytes(vv_path.read_bytes())

    # The JRC's layout: a descending S1B pass, nodata 0, ENVI files in <ref>.data.
    card = root / "card"
    data = card / "CARD-BS" / "2019" / "12" / "16" / BS_REF / f"{BS_REF}.data"
    bs_vv = _write(data / "Gamma0_VV.img", [_filled(vv * 0.8, 0.0)], nodata=None, driver="ENVI")
    bs_vh = _write(data / "Gamma0_VH.img", [_filled(vh * 0.7, 0.0)], nodata=None, driver="ENVI")
    (data.parent / f"{BS_REF}.dim").write_text(
        '<Dimap_Document><MDElem name="Abstracted_Metadata">'
        '<MDATTR name="PASS" type="ascii">DESCENDING</MDATTR></MDElem></Dimap_Document>'
    )
    # Coherence: 40 m, VH stored first; VV about twice VH (a swap shows at once).
    shape = (vv.shape[0] // 2, vv.shape[1] // 2)
    rng = np.random.default_rng(6)
    coh_vh = rng.uniform(0.15, 0.45, size=shape).astype(np.float32)
    coh_vv = np.clip(coh_vh * 2.0, 0.0, 1.0).astype(np.float32)
    coh_vh[:3, :] = 0.0  # the JRC's nodata
    coh_vv[:3, :] = 0.0
    coh = _write(
        card / "CARD-COH6" / "2019" / "12" / "15" / COH_REF / f"{COH_REF}.tif",
        [coh_vh, coh_vv],
        nodata=0.0,
        descriptions=["coh_VH_15Dec2019_21Dec2019", "coh_VV_15Dec2019_21Dec2019"],
        tags={"SECOND_DATE": "2019-12-21T00:43:41Z"},
        res=RES * 2,
    )
    return S1Archive(root, pc_item, pc_ingested, sdh_path, card, vv_path, vh_path, bs_vv, bs_vh,
                     coh)  # fmt: skip
