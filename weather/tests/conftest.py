"""A parcel in AOI `nl` granted to alice, and ERA5-like files (demo.generator.era5_like)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon

from demo.generator.era5_like import write_era5_like
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant

# A field near Zwolle: its centroid 6.05 E 52.61 N lies in the ERA5 cell of 6.0 E 52.5 N?
# No: cells are centred on grid points, so 6.05/52.61 is in the cell of 6.0 E 52.5 N only
# if it is within 0.125 deg; it is in the one of 6.0 E 52.5 N: |6.05-6.0| < .125,
# |52.61-52.5| < .125.
FIELD = (6.045, 52.605, 6.055, 52.615)
BOX = {"west": 5.5, "south": 52.25, "east": 6.5, "north": 53.0}


@pytest.fixture
def parcel(db: None, alice: User) -> Parcel:
    geom = MultiPolygon(Polygon.from_bbox(FIELD), srid=4326)
    dataset = ParcelDataset.objects.create(aoi="nl", year=2024, srid=4326, source="test")
    aoi_grant(user=alice, aoi="nl")
    return Parcel.objects.create(dataset=dataset, pid="f1", crop_name="grass", crop_code="265",
                                 area=7_000, centroid=geom.centroid, geom=geom,
                                 geom_native=bytes(geom.wkb))  # fmt: skip


@pytest.fixture
def hourly_file(tmp_path: Path) -> Path:
    """Hourly ERA5 over 2024-05-01 .. 2024-05-31 (and 2024-06-01 00:00)."""
    return write_era5_like(tmp_path / "era5_2024_05.nc", start=dt.date(2024, 5, 1),
                           end=dt.date(2024, 5, 31), **BOX)  # fmt: skip
