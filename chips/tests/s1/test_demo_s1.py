"""Sentinel-1 on the demo archive: both layouts ingested (STAC COGs with NaN nodata, JRC
CARD folders with 0), a demo parcel's bs and c6 series equal to independent reads of each
source file, passes of both tracks."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pyproj import Transformer
from rasterio.features import geometry_mask

from chips.models import SarAsset, SarScene
from parcels.models import AoiGrant, Parcel
from testing.auth import basic

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def values(asset: SarAsset, parcel: Parcel) -> np.ndarray:
    scene = asset.scene
    native = shapely.from_wkb(bytes(parcel.geom_native))
    tr = Transformer.from_crs(parcel.dataset.srid, scene.epsg, always_xy=True)
    polygon = shapely.transform(
        native, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
    )
    with rasterio.open(asset.href) as src:
        inside = ~geometry_mask([polygon.__geo_interface__], out_shape=src.shape,
                                transform=src.transform)  # fmt: skip
        data = src.read(asset.band_index)[inside].astype(np.float64)
    return data[np.isfinite(data) & (data != 0)]


def test_demo_series(client: Client, alice: User, demo_archive: Path) -> None:
    manifest = json.loads((demo_archive / "demo.json").read_text())
    out = StringIO()
    call_command("ingest_s1", str(demo_archive / "s1"), stdout=out, stderr=StringIO())
    count = manifest["s1"]["passes"] + manifest["s1"]["coherence_pairs"]
    assert f"{count} found, {count} added" in out.getvalue()
    assert set(SarScene.objects.values_list("source_format", flat=True)) == {"stac", "card"}
    call_command("import_parcels", str(demo_archive / manifest["parcels"]), aoi="nl",
                 year=2024, pid_field="pid", crop_name_field="crop_name",
                 crop_code_field="crop_code", layer=manifest["parcels_layer"],
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    AoiGrant.objects.create(user=alice, aoi="nl")
    parcel = Parcel.objects.order_by("pid")[3]
    for tstype, kind in (("bs", "CARD-BS"), ("c6", "CARD-COH6")):
        query = f"aoi=nl&year=2024&pid={parcel.pid}&tstype={tstype}&orbit=True&ref=True"
        response = client.get(f"/query/parcelTimeSeries?{query}", **basic(alice.username))
        assert response.status_code == 200, response.content
        body = response.json()
        products = SarScene.objects.filter(kind=kind)
        assert len(body["band"]) == 2 * products.count()
        assert set(body["orbit_direction"]) == {"ASCENDING", "DESCENDING"}
        for i, (band, ref) in enumerate(zip(body["band"], body["reference"], strict=True)):
            asset = SarAsset.objects.select_related("scene").get(
                scene__product_id=ref, polarisation=band[:2]
            )
            want = values(asset, parcel)
            assert body["count"][i] == want.size
            assert body["mean"][i] == pytest.approx(want.mean(), rel=1e-6)
