"""Write the generated fields as a GeoPackage layer in the national CRS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

from demo.generator import fields

LAYER = "parcels"


def write_parcels(
    layout: fields.FieldLayout, area: shapely.Geometry, epsg: int, path: Path, prefix: str
) -> dict[str, int]:
    """Every crop field inside `area` (national CRS), numbered from the middle of `area`
    outwards: the first ids (those /query/info offers) are its most central fields.
    Returns each parcel id's layout cell (the truth's key)."""
    polygons: list[shapely.Geometry] = []
    names: list[str] = []
    codes: list[int] = []
    cells: list[int] = []
    for cell in range(layout.n_cells):
        cover = int(layout.cover[cell])
        if cover >= len(fields.CROPS):
            continue
        poly = shapely.Polygon(layout.cell_polygon(cell))
        if not poly.within(area):
            continue
        polygons.append(poly)
        names.append(fields.CROPS[cover][0])
        codes.append(fields.CROPS[cover][1])
        cells.append(cell)
    middle = shapely.centroid(area)
    order = sorted(
        range(len(polygons)),
        key=lambda i: float(shapely.distance(shapely.centroid(polygons[i]), middle)),
    )
    polygons = [polygons[i] for i in order]
    names = [names[i] for i in order]
    codes = [codes[i] for i in order]
    pids = np.array([f"{prefix}{i + 1:05d}" for i in range(len(polygons))], dtype=object)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    pyogrio.raw.write(
        str(path),
        geometry=shapely.to_wkb(np.array(polygons, dtype=object)),
        field_data=[pids, np.array(names, dtype=object), np.array(codes, dtype=np.int32)],
        fields=["pid", "crop_name", "crop_code"],
        layer=LAYER,
        driver="GPKG",
        geometry_type="Polygon",
        crs=f"EPSG:{epsg}",
    )
    return {str(pid): cells[i] for pid, i in zip(pids, order, strict=True)}
