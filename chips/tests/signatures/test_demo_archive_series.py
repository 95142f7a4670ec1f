"""parcelTimeSeries on the demo archive (root fixture demo_archive): its real parcels in
the national CRS (EPSG:28992), its three tiles across the 31/32 zone border and the nodata
wedge of orbit R008 in 31UFU; every row against the source band files, COG and SAFE/JP2
alike."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from chips.models import Scene
from chips.signatures.series import season_scenes
from chips.tests.signatures.conftest import expected_stats
from parcels.models import AoiGrant, Parcel
from testing.auth import BasicAuth

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def load(archive: Path, layout: str, alice: User) -> dict:
    manifest = json.loads((archive / "demo.json").read_text())
    command = "ingest_stac" if layout == "cog" else "ingest_safe"
    call_command(command, str(archive / layout), stdout=StringIO(), stderr=StringIO())
    call_command("import_parcels", str(archive / manifest["parcels"]), aoi=manifest["aoi"],
                 year=int(manifest["year"]), pid_field="pid", crop_name_field="crop_name",
                 crop_code_field="crop_code", layer=manifest.get("parcels_layer", "parcels"),
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    AoiGrant.objects.create(user=alice, aoi=manifest["aoi"])
    return manifest


def wedge_parcel() -> tuple[Parcel, Scene]:
    """A parcel cut by the R008 swath edge: a wedge scene's footprint holds part of it."""
    wedges = Scene.objects.filter(tile="31UFU", relative_orbit=8, level="LEVEL2A")
    for scene in wedges:
        edge = scene.footprint.boundary
        parcel = Parcel.objects.select_related("dataset").filter(geom__intersects=edge).first()
        if parcel is not None and not scene.footprint.contains(parcel.geom):
            return parcel, scene
    raise AssertionError("no parcel on the swath edge")


@pytest.mark.parametrize("layout", ["cog", "safe"])
def test_every_row_equals_the_source_pixels(
    client: Client, demo_archive: Path, alice: User, auth: BasicAuth, layout: str
) -> None:
    manifest = load(demo_archive, layout, alice)
    parcel, wedge = wedge_parcel()
    url = (f"/query/parcelTimeSeries?aoi={manifest['aoi']}&year={manifest['year']}"
           f"&pid={parcel.pid}&ref=True&band=B08")  # fmt: skip
    answer = client.get(url, **auth).json()
    native = shapely.from_wkb(bytes(parcel.geom_native))
    assert parcel.dataset.srid == 28992
    by_product = {s.product_id: s for s in Scene.objects.filter(product_id__in=answer["reference"])}
    seasons = season_scenes(parcel, level="LEVEL2A", start=wedge.sensing_time.date().replace(
        month=1, day=1), end=wedge.sensing_time.date().replace(month=12, day=31))  # fmt: skip
    assert answer["reference"] == [s.product_id for s in seasons if s.product_id in by_product]
    for i, product in enumerate(answer["reference"]):
        scene = by_product[product]
        values = expected_stats(scene.assets.get(band="B08").href, native, scene.epsg)
        data = values.astype(np.float64)
        assert answer["count"][i] == values.size
        assert answer["mean"][i] == pytest.approx(data.mean(), abs=1e-6)
        assert answer["p50"][i] == pytest.approx(float(np.percentile(data, 50)), abs=1e-6)
        assert answer["std"][i] == pytest.approx(data.std(), abs=1e-6)
        scl = expected_stats(scene.assets.get(band="SCL").href, native, scene.epsg)
        assert sum(json.loads(answer["hist"][i]).values()) == scl.size
    # The wedge date keeps only the parcel's pixels inside the swath: fewer than elsewhere.
    assert wedge.product_id in answer["reference"]
    count = answer["count"][answer["reference"].index(wedge.product_id)]
    assert 0 < count < max(answer["count"])
