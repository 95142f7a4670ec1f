"""Parcels over the raw chip tests' archive (testing.raw_archive), a dataset in the Dutch
national CRS (EPSG:28992) so that every parcel travels through a reprojection, and the
statistics expected of them computed independently from the source band files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from pyproj import Transformer
from rasterio.features import geometry_mask
from shapely.geometry.base import BaseGeometry

from chips.models import Scene
from parcels.models import AoiGrant, Parcel, ParcelDataset
from testing.rasters import band_values, write_band
from testing.raw_archive import T1, tile_footprint
from testing.scenes import make_scene

NATIONAL = 28992


G = TypeVar("G", bound=shapely.Geometry)


def project(geom: G, src: int, dst: int) -> G:
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.segmentize(shapely.box(x0, y0, x1, y1), 20.0)


# Parcels, as drawn (EPSG, polygon); stored in the national CRS.
FIELDS: dict[str, tuple[int, shapely.Polygon]] = {
    # In tile A (31UFT) only: an L-shaped field.
    "inA": (32631, shapely.Polygon([
        (601013.0, 5797021.0), (601377.0, 5797021.0), (601377.0, 5797233.0),
        (601191.0, 5797233.0), (601191.0, 5797402.0), (601013.0, 5797402.0)])),
    # In the A/B overlap: both cover it, B (baseline 05.10) gives the T1 row.
    "overlap": (32631, box(603833.0, 5798377.0, 604171.0, 5798611.0)),
    # Reaching out of B westwards (x < 603000): A covers it best at T1.
    "edge": (32631, box(602871.0, 5798403.0, 603207.0, 5798597.0)),
    # Overlapping "overlap" (a digitising error): the pixels they share count for both.
    "overlap2": (32631, box(604101.0, 5798501.0, 604393.0, 5798703.0)),
    # Across the 31/32 UTM zone border (lon 6), in lon/lat.
    "border": (4326, shapely.segmentize(shapely.box(5.9962, 52.0996, 6.0037, 52.1004), 1e-4)),
}  # fmt: skip


def expected_stats(href: str, polygon_native: BaseGeometry, epsg: int) -> np.ndarray:
    """The valid values of the pixels whose centre lies inside the parcel, read from the
    whole source file (rasterio, geometry_mask on the parcel reprojected with pyproj)."""
    parcel = project(polygon_native, NATIONAL, epsg)
    with rasterio.open(href) as src:
        inside = ~geometry_mask([parcel.__geo_interface__], out_shape=src.shape,
                                transform=src.transform)  # fmt: skip
        values = src.read(1)[inside]
    return values[values != 0]


@pytest.fixture
def dataset(db: None, alice: User) -> ParcelDataset:
    ds = ParcelDataset.objects.create(aoi="zz", year=2024, srid=NATIONAL, source="test")
    AoiGrant.objects.create(user=alice, aoi="zz")
    return ds


@pytest.fixture
def parcels(dataset: ParcelDataset) -> dict[str, shapely.Polygon]:
    """{pid: the parcel in the national CRS} of FIELDS, stored."""
    native = {}
    for pid, (epsg, geom) in FIELDS.items():
        nat = project(geom, epsg, NATIONAL)
        native[pid] = nat
        multi = shapely.MultiPolygon([project(geom, epsg, 4326)])
        wgs = cast(MultiPolygon, GEOSGeometry(memoryview(shapely.to_wkb(multi)), srid=4326))
        Parcel.objects.create(dataset=dataset, pid=pid, crop_name="wheat", crop_code="1",
                              area=int(nat.area), centroid=wgs.centroid, geom=wgs,
                              geom_native=shapely.to_wkb(nat))  # fmt: skip
    return native


WedgeMaker = Callable[..., Scene]


@pytest.fixture
def extra_scene(tmp_path: Path) -> WedgeMaker:
    """A tile-A scene of our own (files in this test's folder): optionally a nodata wedge
    (pixels with col > row + shift are 0, as outside a swath edge), another baseline."""

    def make(
        *, sensing, seed: int, wedge: int | None = None, nir: bool = False,
        scl: int | None = None, **facts: object,
    ) -> Scene:  # fmt: skip
        from testing.raw_archive import window

        crop = window("31UFT")
        files = {}
        bands = [("B04", 10, "uint16"), ("SCL", 20, "uint8")] + (
            [("B08", 10, "uint16")] if nir else []
        )
        for band, res, dtype in bands:
            shift = {"B04": 0, "SCL": 1000, "B08": 2000}[band]
            data = band_values(seed + shift, crop.shape(res), dtype)
            if band == "SCL" and scl is not None:  # one class everywhere (4: a clear sky)
                data[:] = scl
            if wedge is not None:
                rows, cols = np.indices(data.shape)
                data[cols * res > rows * res + wedge] = 0
            path = tmp_path / f"{seed}" / f"{band}.tif"
            write_band(path, data, epsg=crop.grid.epsg, ulx=crop.ulx, uly=crop.uly, res=res)
            files[band] = (path, res)
        return make_scene(tile="31UFT", sensing=sensing, footprint=tile_footprint("31UFT"),
                          bands=files, **facts)  # type: ignore[arg-type]  # fmt: skip

    return make


__all__ = ["T1", "expected_stats", "project"]
