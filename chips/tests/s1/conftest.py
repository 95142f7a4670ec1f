"""The Sentinel-1 tests' archive (testing.s1_archive), catalogued, and parcels over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.management import call_command
from pyproj import Transformer
from rasterio.features import geometry_mask

from parcels.models import AoiGrant, Parcel, ParcelDataset
from testing.s1_archive import EPSG, RES, ULX, ULY, S1Archive, build

DATASET_SRID = 3857  # web mercator: every parcel travels through a reprojection


@pytest.fixture(scope="session")
def s1_files(tmp_path_factory: pytest.TempPathFactory, real_fixtures: Path) -> S1Archive:
    return build(tmp_path_factory.getbasetemp() / "s1-archive", real_fixtures)


@pytest.fixture
def s1_catalogue(db: None, s1_files: S1Archive) -> S1Archive:
    """Every flavour catalogued: the raw PC item, the JRC CARD-BS and CARD-COH6 folders."""
    call_command("ingest_s1", str(s1_files.pc_item), str(s1_files.card_root))
    return s1_files


def project(geom: Any, src: int, dst: int) -> Any:
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


# Parcels drawn in the products' CRS (EPSG:32614): a field, and one across the nodata edge.
FIELDS = {
    "f1": shapely.Polygon([(ULX + 1013, ULY - 1021), (ULX + 1877, ULY - 1021),
                           (ULX + 1877, ULY - 1633), (ULX + 1400, ULY - 1633),
                           (ULX + 1400, ULY - 1900), (ULX + 1013, ULY - 1900)]),
    "f2": shapely.segmentize(shapely.box(ULX + 3011, ULY - 3507, ULX + 3711, ULY - 2911), 20.0),
}  # fmt: skip


@pytest.fixture
def s1_parcels(db: None, alice: User) -> dict[str, shapely.Polygon]:
    ds = ParcelDataset.objects.create(aoi="sx", year=2019, srid=DATASET_SRID, source="test")
    AoiGrant.objects.create(user=alice, aoi="sx")
    native = {}
    for pid, geom in FIELDS.items():
        nat = project(geom, EPSG, DATASET_SRID)
        native[pid] = nat
        multi = shapely.MultiPolygon([project(geom, EPSG, 4326)])
        wgs = cast(MultiPolygon, GEOSGeometry(memoryview(shapely.to_wkb(multi)), srid=4326))
        Parcel.objects.create(dataset=ds, pid=pid, crop_name="grass", crop_code="1",
                              area=int(nat.area), centroid=wgs.centroid, geom=wgs,
                              geom_native=shapely.to_wkb(nat))  # fmt: skip
    return native


def parcel_values(path: Path, parcel_native: shapely.Geometry, *, band: int = 1,
                  nodata: float | None = None) -> np.ndarray:  # fmt: skip
    """The valid linear values of the pixels whose centre is inside the parcel, read from
    the whole file (rasterio, geometry_mask on the parcel reprojected with pyproj)."""
    parcel = project(parcel_native, DATASET_SRID, EPSG)
    with rasterio.open(path) as src:
        inside = ~geometry_mask([parcel.__geo_interface__], out_shape=src.shape,
                                transform=src.transform)  # fmt: skip
        values = src.read(band)[inside].astype(np.float64)
    ok = np.isfinite(values) & (values != 0)
    if nodata is not None:
        ok &= values != nodata
    return values[ok]


__all__ = ["RES", "parcel_values"]
