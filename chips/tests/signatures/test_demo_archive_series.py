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
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.test import Client
from pyproj import Transformer

from chips.models import Scene
from chips.signatures.series import season_scenes
from chips.tests.signatures.conftest import expected_stats
from parcels.models import AoiGrant, Parcel, ParcelDataset
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
    """A parcel cut by the R008 swath edge: a wedge scene's footprint holds part of it. The
    demo's own fields lie inside every tile's data (issue 11), so the test adds one: a
    120 m square on the swath edge, where a full-coverage scene of the tile has data."""
    wedges = Scene.objects.filter(tile="31UFU", relative_orbit=8, level="LEVEL2A")
    full = Scene.objects.filter(tile="31UFU", level="LEVEL2A").exclude(relative_orbit=8).first()
    assert full is not None
    dataset = ParcelDataset.objects.get()
    to_native = Transformer.from_crs(4326, dataset.srid, always_xy=True)
    for scene in wedges:
        edge = shapely.from_wkt(scene.footprint.boundary.wkt)
        inner = shapely.from_wkt(full.footprint.buffer(-0.01).wkt)  # away from tile edges
        swath_edge = edge.intersection(inner)
        if swath_edge.is_empty:
            continue
        lon, lat = swath_edge.interpolate(0.5, normalized=True).coords[0]
        x, y = to_native.transform(lon, lat)
        square = shapely.box(x - 60, y - 60, x + 60, y + 60)
        to_wgs84 = Transformer.from_crs(dataset.srid, 4326, always_xy=True)
        ring = [to_wgs84.transform(px, py) for px, py in square.exterior.coords]
        geom = MultiPolygon(Polygon(ring), srid=4326)
        parcel = Parcel.objects.create(
            dataset=dataset, pid="WEDGE-EDGE", crop_name="test", crop_code="0",
            area=14_400, centroid=geom.centroid, geom=geom,
            geom_native=shapely.to_wkb(square),
        )  # fmt: skip
        return Parcel.objects.select_related("dataset").get(pk=parcel.pk), scene
    raise AssertionError("no wedge scene with a swath edge inside the tile")


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
