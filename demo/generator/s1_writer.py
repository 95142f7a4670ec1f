"""Write the demo's Sentinel-1 products: the ascending track as COGs with STAC items
(Planetary Computer flavoured backscatter, nodata NaN; cbmweb coherence items), the
descending track in the JRC's CARD layout (CARD-BS ENVI files in <ref>.data with a .dim
naming the pass, nodata 0; CARD-COH6 two-band GeoTIFFs stored VH first, told apart by
their band descriptions). Both ingest paths of `manage.py ingest_s1` run on `make demo`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from pyproj import Transformer

from demo.generator import fields
from demo.generator import s1 as physics
from demo.generator.site import NATIONAL_EPSG, CropWindow

S1_DIR = "s1"
STAC_NODATA_EDGE_PX = 12  # the ascending products' western strip is NaN (outside the swath)
CARD_NODATA_EDGE_PX = 8  # the descending products' southern rows are 0


def _rng(seed: int, *parts: object) -> np.random.Generator:
    key = zlib.crc32("/".join(map(str, parts)).encode())
    return np.random.default_rng([seed, key])


def _cells(crop: CropWindow, res: int, layout: fields.FieldLayout) -> np.ndarray:
    rows, cols = crop.shape(res)
    t = crop.transform(res)
    gx, gy = np.meshgrid(t.c + (np.arange(cols) + 0.5) * res, t.f - (np.arange(rows) + 0.5) * res)
    to_nat = Transformer.from_crs(crop.grid.epsg, NATIONAL_EPSG, always_xy=True)
    x, y = to_nat.transform(gx.ravel(), gy.ravel())
    return layout.cell_at(np.asarray(x), np.asarray(y)).reshape(rows, cols)


def _footprint(crop: CropWindow) -> list[list[float]]:
    to_ll = Transformer.from_crs(crop.grid.epsg, 4326, always_xy=True)
    w, s, e, n = crop.bounds
    ring = [to_ll.transform(x, y) for x, y in ((w, s), (e, s), (e, n), (w, n), (w, s))]
    return [[round(lon, 7), round(lat, 7)] for lon, lat in ring]


def _write(path: Path, bands: list[np.ndarray], crop: CropWindow, res: int, *, driver: str,
           nodata: float | None, descriptions: list[str] | None = None,
           tags: dict[str, str] | None = None) -> None:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    profile: dict[str, Any] = {
        "driver": driver, "width": bands[0].shape[1], "height": bands[0].shape[0],
        "count": len(bands), "dtype": "float32", "crs": f"EPSG:{crop.grid.epsg}",
        "transform": crop.transform(res), "nodata": nodata,
    }  # fmt: skip
    if driver == "COG":
        profile.update(BLOCKSIZE=256, COMPRESS="DEFLATE", LEVEL=1, PREDICTOR=3,
                       OVERVIEWS="NONE")  # fmt: skip
    elif driver == "GTiff":
        profile.update(compress="DEFLATE", zlevel=1, predictor=3, tiled=True)
    with rasterio.open(path, "w", **profile) as dst:
        for i, band in enumerate(bands, start=1):
            dst.write(band, i)
            if descriptions:
                dst.set_band_description(i, descriptions[i - 1])
        if tags:
            dst.update_tags(**tags)


def _grd_ref(p: physics.Pass, kind: str) -> str:
    stop = p.start + timedelta(seconds=25)
    datatake = zlib.crc32(p.key.encode()) % 0xFFFFFF
    crc = zlib.crc32(f"{kind}{p.key}".encode()) % 0xFFFF
    product = "GRDH" if kind == "BS" else "SLC_"
    return (f"{p.platform}_IW_{product}_1SDV_{p.key}_{stop:%Y%m%dT%H%M%S}_"
            f"{p.absolute_orbit:06d}_{datatake:06X}_{crc:04X}_CARD_{kind}")  # fmt: skip


def _iso(p: physics.Pass, seconds: int = 0) -> str:
    return (p.start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(item_id: str, p: physics.Pass, crop: CropWindow, assets: dict[str, str],
          extra: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    ring = _footprint(crop)
    lons, lats = [c[0] for c in ring], [c[1] for c in ring]
    props = {
        "datetime": _iso(p, 12), "start_datetime": _iso(p), "end_datetime": _iso(p, 25),
        "platform": f"SENTINEL-1{p.platform[-1]}", "constellation": "Sentinel-1",
        "sat:orbit_state": p.direction.lower(), "sat:relative_orbit": p.relative_orbit,
        "sat:absolute_orbit": p.absolute_orbit, "sar:instrument_mode": "IW",
        "sar:polarizations": ["VV", "VH"], "sar:looks_equivalent_number": physics.ENL,
        "proj:epsg": crop.grid.epsg, **extra,
    }  # fmt: skip
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": item_id, "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [min(lons), min(lats), max(lons), max(lats)], "links": [],
        "assets": {k: {"href": href, "type": "image/tiff; application=geotiff; "
                       "profile=cloud-optimized", "roles": ["data"],
                       "raster:bands": [{"nodata": "nan", "data_type": "float32"}]}
                   for k, href in assets.items()},
        "stac_extensions": [],
    }  # fmt: skip


def write_s1(out: Path, crop: CropWindow, layout: fields.FieldLayout, start: date, end: date,
             seed: int, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """Every pass of the window: CARD-BS at 10 m, CARD-COH6 of consecutive passes of a
    track at 20 m. Returns the manifest's "s1" entry."""
    root = out / S1_DIR
    rain = physics.rain_days(start, end, _rng(seed, "s1-rain"))
    cells = {res: _cells(crop, res, layout) for res in (10, 20)}
    passes = physics.passes(start, end)
    previous: dict[int, physics.Pass] = {}
    coherent = 0
    for p in passes:
        rng = _rng(seed, "s1", p.key)
        vv_db, vh_db = physics.backscatter_db(layout, p, p.start.date() in rain)
        c = cells[10]
        vv, vh = physics.speckled(vv_db[c], rng), physics.speckled(vh_db[c], rng)
        stac = p.direction == "ASCENDING"
        if stac:
            vv[:, :STAC_NODATA_EDGE_PX] = np.nan
            vh[:, :STAC_NODATA_EDGE_PX] = np.nan
            _write_stac_bs(root, p, crop, vv, vh)
        else:
            vv[-CARD_NODATA_EDGE_PX:, :] = 0.0
            vh[-CARD_NODATA_EDGE_PX:, :] = 0.0
            _write_card_bs(root, p, crop, vv, vh)
        first = previous.get(p.relative_orbit)
        previous[p.relative_orbit] = p
        if first is None:
            continue
        true_vv, true_vh = physics.coherence(layout, first, p, rain)
        c20 = cells[20]
        coh_vv, coh_vh = physics.estimated(true_vv[c20], rng), physics.estimated(true_vh[c20], rng)
        if stac:
            _write_stac_coh(root, first, p, crop, coh_vv, coh_vh)
        else:
            coh_vv[-CARD_NODATA_EDGE_PX // 2 :, :] = 0.0
            coh_vh[-CARD_NODATA_EDGE_PX // 2 :, :] = 0.0
            _write_card_coh(root, first, p, crop, coh_vv, coh_vh)
        coherent += 1
    log(f"Sentinel-1: {len(passes)} CARD-BS and {coherent} CARD-COH6 products")
    return {
        "folder": S1_DIR,
        "passes": len(passes),
        "coherence_pairs": coherent,
        "tracks": [{"relative_orbit": o, "direction": d} for o, d, _f, _t in physics.TRACKS],
        "rain_days": sorted(d.isoformat() for d in rain),
    }


def _write_stac_bs(root: Path, p: physics.Pass, crop: CropWindow, vv: np.ndarray,
                   vh: np.ndarray) -> None:  # fmt: skip
    item_id = f"{_grd_ref(p, 'BS').removesuffix('_CARD_BS')}_rtc"
    folder = root / "stac" / item_id
    for pol, data in (("vv", vv), ("vh", vh)):
        _write(folder / f"{pol}.tif", [data], crop, 10, driver="COG", nodata=float("nan"))
    item = _item(item_id, p, crop, {"vv": "vv.tif", "vh": "vh.tif"},
                 {"sar:product_type": "GRD", "card4l:measurement_type": "gamma0"})  # fmt: skip
    (folder / f"{item_id}.json").write_text(json.dumps(item, indent=1))


def _write_stac_coh(root: Path, first: physics.Pass, second: physics.Pass, crop: CropWindow,
                    vv: np.ndarray, vh: np.ndarray) -> None:  # fmt: skip
    item_id = (f"{first.platform}{second.platform[-1]}_IW_COH6_{first.key}_{second.key}_"
               f"R{first.relative_orbit:03d}")  # fmt: skip
    folder = root / "stac" / item_id
    for pol, data in (("vv", vv), ("vh", vh)):
        _write(folder / f"{pol}.tif", [data], crop, 20, driver="COG", nodata=float("nan"))
    item = _item(
        item_id,
        first,
        crop,
        {"vv": "vv.tif", "vh": "vh.tif"},
        {"sar:product_type": "COH6", "cbmweb:pair": [_iso(first), _iso(second)]},
    )
    (folder / f"{item_id}.json").write_text(json.dumps(item, indent=1))


def _day_folder(root: Path, kind: str, p: physics.Pass) -> Path:
    return root / kind / f"{p.start:%Y}" / f"{p.start:%m}" / f"{p.start:%d}"


def _write_card_bs(root: Path, p: physics.Pass, crop: CropWindow, vv: np.ndarray,
                   vh: np.ndarray) -> None:  # fmt: skip
    ref = _grd_ref(p, "BS")
    product = _day_folder(root, "CARD-BS", p) / ref
    for pol, data in (("VV", vv), ("VH", vh)):
        _write(product / f"{ref}.data" / f"Gamma0_{pol}.img", [data], crop, 10, driver="ENVI",
               nodata=None)  # fmt: skip
    (product / f"{ref}.dim").write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<Dimap_Document name="' + ref + '">\n'
        '<MDElem name="Abstracted_Metadata">\n'
        f'<MDATTR name="PASS" type="ascii">{p.direction}</MDATTR>\n'
        f'<MDATTR name="REL_ORBIT" type="int32">{p.relative_orbit}</MDATTR>\n'
        "</MDElem>\n</Dimap_Document>\n"
    )


def _write_card_coh(root: Path, first: physics.Pass, second: physics.Pass, crop: CropWindow,
                    vv: np.ndarray, vh: np.ndarray) -> None:  # fmt: skip
    ref = _grd_ref(first, "COH6")
    span = f"{first.start:%d%b%Y}_{second.start:%d%b%Y}"
    _write(_day_folder(root, "CARD-COH6", first) / ref / f"{ref}.tif", [vh, vv], crop, 20,
           driver="GTiff", nodata=0.0, descriptions=[f"coh_VH_{span}", f"coh_VV_{span}"],
           tags={"SECOND_DATE": _iso(second), "PASS": first.direction})  # fmt: skip
