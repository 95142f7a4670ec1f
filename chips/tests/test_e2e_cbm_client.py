"""The CbM client's way, end to end: SCL chips for a parcel, read with pandas, downloaded
without credentials, opened with rasterio, and the parcel's SCL histogram with rasterstats
equal to the counts of the source pixels inside the parcel."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon
from pyproj import Transformer
from rasterio.features import geometry_mask
from rasterstats import zonal_stats
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.ops import transform as shapely_transform

from chips.models import Scene
from testing.auth import BasicAuth
from testing.scenes import asset_path

pytestmark = pytest.mark.django_db

# An L-shaped field in tile 31UFT (outside the B tile), in UTM 31N metres.
FIELD_UTM = [
    (601013.0, 5797021.0), (601377.0, 5797021.0), (601377.0, 5797233.0),
    (601191.0, 5797233.0), (601191.0, 5797402.0), (601013.0, 5797402.0),
]  # fmt: skip


def test_scl_histogram_of_a_parcel(
    client, archive: dict[str, Scene], alice: User, auth: BasicAuth, tmp_path: Path
) -> None:
    parcels = pytest.importorskip("parcels.models")

    to_wgs84 = Transformer.from_crs(32631, 4326, always_xy=True)
    field_utm = ShapelyPolygon(FIELD_UTM)
    ring = [to_wgs84.transform(x, y) for x, y in FIELD_UTM]
    geom = MultiPolygon(Polygon([*ring, ring[0]]), srid=4326)
    dataset = parcels.ParcelDataset.objects.create(aoi="zz", year=2024, srid=32631, source="t")
    parcels.Parcel.objects.create(
        dataset=dataset, pid="F1", crop_name="wheat", crop_code="1", area=int(field_utm.area),
        centroid=geom.centroid, geom=geom, geom_native=bytes(geom.transform(32631, clone=True).wkb),
    )  # fmt: skip
    parcels.AoiGrant.objects.create(user=alice, aoi="zz")

    url = (
        "/query/rawChipByParcelID?aoi=zz&year=2024&pid=F1&start_date=2024-06-01"
        "&end_date=2024-06-30&band=SCL&chipsize=1280"
    )
    response = client.get(url, **auth)
    assert response.status_code == 200, response.content
    df = pd.read_json(io.StringIO(response.content.decode()))
    assert list(df.columns) == ["dates", "chips"]
    expected_scenes = [archive["A1"], archive["A2"], archive["A3new"]]
    assert [str(d) for d in df.dates] == [s.sensing_key for s in expected_scenes]

    for chip, scene in zip(df.chips, expected_scenes, strict=True):
        name = chip.split("/")[3]
        assert name.split("_")[2] == scene.sensing_key and name.split(".")[-2] == "SCL"
        download = client.get(chip)  # the CbM client fetches /dump/ without credentials
        assert download.status_code == 200
        local = tmp_path / name
        local.write_bytes(b"".join(download.streaming_content))
        with rasterio.open(local) as src:
            assert src.crs.to_epsg() == scene.epsg
            to_chip = Transformer.from_crs(4326, src.crs, always_xy=True).transform
        field_in_chip = shapely_transform(to_chip, shapely_transform(to_wgs84.transform,
                                                                     field_utm))  # fmt: skip
        stats = zonal_stats([field_in_chip], str(local), categorical=True, nodata=0)[0]

        # Independently: the source SCL pixels whose centres fall inside the field.
        with rasterio.open(asset_path(scene, "SCL")) as source:
            inside = ~geometry_mask(
                [field_utm.__geo_interface__], out_shape=source.shape, transform=source.transform
            )
            values = source.read(1)[inside]
        classes, counts = np.unique(values[values != 0], return_counts=True)
        assert stats == dict(zip(classes.tolist(), counts.tolist(), strict=True))
        assert sum(stats.values()) > 250  # 0.107 km2: about 268 pixels of 20 m
