"""/query/info: each dataset the caller may see, with its extent and the imagery the archive
holds over it, checked against the catalogue's scenes read one by one (GEOS in Python)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.test import Client

from chips.models import Scene
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant
from testing import composite_archive as fx
from testing.auth import basic, make_user

pytestmark = pytest.mark.django_db


def dataset_with(aoi: str, centre: tuple[float, float], half: float) -> ParcelDataset:
    """A dataset of two small parcels around `centre` (lon, lat), `half` degrees apart."""
    dataset = ParcelDataset.objects.create(aoi=aoi, year=2024, srid=4326, source="test")
    lon, lat = centre
    for pid, dx in (("1", -half), ("2", half)):
        x, y = lon + dx, lat
        square = Polygon.from_bbox((x - 0.001, y - 0.001, x + 0.001, y + 0.001))
        geom = MultiPolygon(square, srid=4326)
        Parcel.objects.create(
            dataset=dataset, pid=pid, area=1, centroid=Point(x, y, srid=4326), geom=geom,
            geom_native=bytes(geom.wkb),
        )  # fmt: skip
    dataset.parcel_count = 2
    dataset.save()
    return dataset


def expected_coverage(extent: list[float]) -> dict[str, Any]:
    """What the archive holds over the box, from every scene's footprint in Python."""
    west, south, east, north = extent
    box = Polygon.from_bbox((west, south, east, north))
    box.srid = 4326
    by_level: dict[str, list[Scene]] = {}
    for scene in Scene.objects.all():
        if scene.footprint.intersects(box):
            by_level.setdefault(scene.level, []).append(scene)
    out = {}
    for level, scenes in by_level.items():
        days = sorted(s.sensing_time.astimezone(dt.UTC).date().isoformat() for s in scenes)
        out[level] = {
            "first": days[0],
            "last": days[-1],
            "acquisitions": len({s.sensing_time for s in scenes}),
            "products": len(scenes),
            "tiles": sorted({s.tile for s in scenes}),
        }
    return out


def test_info_lists_the_imagery_over_each_dataset(
    tmp_path: Path, chip_store: Path, staff_client: Client
) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 4)
    covered = dataset_with("nl", fx.centre_lonlat(), 0.005)
    far = dataset_with("at", (14.0, 47.5), 0.01)  # no scene there
    body = staff_client.get("/query/info").json()
    nl = body["aois"]["nl"]["datasets"]["2024"]
    lon, lat = fx.centre_lonlat()
    west, south, east, north = nl["extent"]
    assert west == pytest.approx(lon - 0.006, abs=1e-6)
    assert east == pytest.approx(lon + 0.006, abs=1e-6)
    assert (south, north) == (pytest.approx(lat - 0.001, abs=1e-6),
                              pytest.approx(lat + 0.001, abs=1e-6))  # fmt: skip
    assert nl["imagery"] == expected_coverage(nl["extent"])
    l2a = nl["imagery"]["LEVEL2A"]
    days = [s.sensing_time.date().isoformat() for s in scenes]
    assert (l2a["first"], l2a["last"], l2a["acquisitions"]) == (days[0], days[-1], 4)
    assert l2a["tiles"] == [fx.TILE]
    at = body["aois"]["at"]["datasets"]["2024"]
    assert at["imagery"] == {} and at["extent"][0] == pytest.approx(13.989, abs=1e-6)
    assert covered.pk != far.pk


def test_info_shows_only_the_callers_datasets(tmp_path: Path, chip_store: Path) -> None:
    fx.make_scenes(tmp_path / "archive", 2)
    dataset_with("nl", fx.centre_lonlat(), 0.005)
    dataset_with("at", (14.0, 47.5), 0.01)
    aoi_grant(user=make_user("nluser"), aoi="nl")
    body = Client().get("/query/info", **basic("nluser")).json()
    assert set(body["aois"]) == {"nl"}
    assert body["aois"]["nl"]["datasets"]["2024"]["imagery"]["LEVEL2A"]["acquisitions"] == 2


def test_an_empty_dataset_has_no_extent_nor_imagery(staff_client: Client) -> None:
    ParcelDataset.objects.create(aoi="dk", year=2024, srid=4326, source="test")
    dk = staff_client.get("/query/info").json()["aois"]["dk"]["datasets"]["2024"]
    assert dk["extent"] is None and dk["imagery"] == {}
