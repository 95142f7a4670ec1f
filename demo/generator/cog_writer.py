"""Write an L2A product as COGs with an Earth Search v1 flavoured STAC item beside them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio

from demo.generator.calendar import SPACECRAFT
from demo.generator.product import Product

# Earth Search v1 asset key, band, resolution, title.
ASSETS: tuple[tuple[str, str, int, str], ...] = (
    ("coastal", "B01", 60, "Coastal aerosol (band 1) - 60m"),
    ("blue", "B02", 10, "Blue (band 2) - 10m"),
    ("green", "B03", 10, "Green (band 3) - 10m"),
    ("red", "B04", 10, "Red (band 4) - 10m"),
    ("rededge1", "B05", 20, "Red edge 1 (band 5) - 20m"),
    ("rededge2", "B06", 20, "Red edge 2 (band 6) - 20m"),
    ("rededge3", "B07", 20, "Red edge 3 (band 7) - 20m"),
    ("nir", "B08", 10, "NIR 1 (band 8) - 10m"),
    ("nir08", "B8A", 20, "NIR 2 (band 8A) - 20m"),
    ("nir09", "B09", 60, "NIR 3 (band 9) - 60m"),
    ("swir16", "B11", 20, "SWIR 1 (band 11) - 20m"),
    ("swir22", "B12", 20, "SWIR 2 (band 12) - 20m"),
    ("scl", "SCL", 20, "Scene classification map (SCL)"),
)


def write_cog(path: Path, array: np.ndarray, p: Product, res: int) -> None:
    categorical = array.dtype == np.uint8
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=array.shape[1],
        height=array.shape[0],
        count=1,
        dtype=array.dtype.name,
        crs=f"EPSG:{p.crop.grid.epsg}",
        transform=p.crop.transform(res),
        nodata=0,
        BLOCKSIZE=512,
        COMPRESS="DEFLATE",
        OVERVIEW_COUNT=2,
        OVERVIEW_RESAMPLING="NEAREST" if categorical else "AVERAGE",
    ) as dst:
        dst.write(array, 1)


def item_id(p: Product) -> str:
    return f"{p.take.mission}_{p.tile}_{p.take.sensing:%Y%m%d}_0_L2A"


def stac_item(p: Product) -> dict:
    t = p.take
    lons = [lon for lon, _ in p.footprint]
    lats = [lat for _, lat in p.footprint]
    grid = p.crop.grid
    offset = t.radiometric_offset / 10000
    assets: dict[str, dict] = {}
    for key, band, res, title in ASSETS:
        rows, cols = p.crop.shape(res)
        tr = p.crop.transform(res)
        asset: dict = {
            "href": f"./{band}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "title": title,
            "proj:shape": [rows, cols],
            "proj:transform": [tr.a, tr.b, tr.c, tr.d, tr.e, tr.f],
            "roles": ["data", "reflectance"],
        }
        if band == "SCL":
            asset["raster:bands"] = [{"nodata": 0, "data_type": "uint8", "spatial_resolution": res}]
        else:
            asset["gsd"] = res
            asset["eo:bands"] = [{"name": key, "common_name": key}]
            asset["raster:bands"] = [
                {
                    "nodata": 0,
                    "data_type": "uint16",
                    "bits_per_sample": 15,
                    "spatial_resolution": res,
                    "scale": 0.0001,
                    "offset": offset,
                }
            ]
        assets[key] = asset
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id(p),
        "properties": {
            "created": f"{p.generation:%Y-%m-%dT%H:%M:%S}.000Z",
            "platform": SPACECRAFT[t.mission].lower(),
            "constellation": "sentinel-2",
            "instruments": ["msi"],
            "eo:cloud_cover": round(p.cloud_cover, 6),
            "proj:epsg": grid.epsg,
            "mgrs:utm_zone": grid.zone,
            "mgrs:latitude_band": grid.tile[2],
            "mgrs:grid_square": grid.tile[3:],
            "grid:code": f"MGRS-{grid.tile}",
            "view:sun_azimuth": 155.0,
            "view:sun_elevation": round(90 - p.sun_zenith, 4),
            "s2:nodata_pixel_percentage": round(p.nodata_pct, 6),
            "s2:product_type": "S2MSI2A",
            "s2:processing_baseline": t.baseline,
            "s2:product_uri": f"{p.product_id}.SAFE",
            "s2:generation_time": f"{p.generation:%Y-%m-%dT%H:%M:%S}.000000Z",
            "s2:datatake_id": p.datatake_id,
            "s2:datatake_type": "INS-NOBS",
            "s2:datastrip_id": p.datastrip_id,
            "s2:granule_id": p.tile_id(),
            "sat:relative_orbit": t.relative_orbit,
            "sat:absolute_orbit": t.absolute_orbit,
            "sat:orbit_state": "descending",
            "datetime": f"{t.sensing:%Y-%m-%dT%H:%M:%S}.{t.sensing.microsecond:06d}Z",
            "s2:sequence": "0",
            "earthsearch:boa_offset_applied": False,
        },
        "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lon, lat in p.footprint]]},
        "links": [{"rel": "self", "href": f"./{item_id(p)}.json", "type": "application/json"}],
        "assets": assets,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "stac_extensions": [
            "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
            "https://stac-extensions.github.io/eo/v1.0.0/schema.json",
            "https://stac-extensions.github.io/grid/v1.0.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.0.0/schema.json",
            "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
        ],
        "collection": "sentinel-2-l2a",
    }


def write_item(p: Product, archive: Path) -> Path:
    """Write cog/<zone>/<band>/<square>/YYYY/M/<id>/ with COGs and <id>.json; return the json."""
    grid = p.crop.grid
    day = p.take.sensing
    folder = (
        archive
        / "cog"
        / str(grid.zone)
        / grid.tile[2]
        / grid.tile[3:]
        / str(day.year)
        / str(day.month)
        / item_id(p)
    )
    folder.mkdir(parents=True, exist_ok=True)
    for _, band, res, _ in ASSETS:
        write_cog(folder / f"{band}.tif", p.files[(band, res)], p, res)
    path = folder / f"{item_id(p)}.json"
    path.write_text(json.dumps(stac_item(p), indent=2))
    return path
