"""A dataset of three parcels whose signature rows are written by hand (hand-built series,
band means in DN with the scene's -1000 offset), on scenes without band files: the
detector then reads the store alone, and what it should find is known."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from chips.catalogue.models import Scene
from chips.signatures.models import Signature
from markers import rules
from markers.tests.series_builder import NIR, day, every, grass
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant
from testing.scenes import make_scene

YEAR = 2024
DAYS = every(day(4, 1), 37)  # 1 April .. 30 September, every 5 days
CUT = day(6, 10)
PLOUGH = day(7, 20)
DEMO_RULES = {
    "name": "test rules",
    "version": "7",
    "practices": {
        "grassland": {"crop_codes": ["265"], "rules": [
            {"kind": "expected", "event": "mowing", "start": "05-15", "end": "08-31"},
            {"kind": "forbidden", "event": "ploughing", "start": "04-01", "end": "09-30"}]},
    },
}  # fmt: skip


def box(lon: float, lat: float, d: float) -> MultiPolygon:
    ring = ((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat))
    return MultiPolygon(Polygon(ring), srid=4326)


def _dn(reflectance: float) -> float:
    return reflectance * 10000 + 1000  # DN = reflectance * 10000 - offset (offset -1000)


def write_series(parcel: Parcel, scenes: list[Scene], ndvi: list[float], swir: list[float]) -> None:
    rows = []
    for scene, n, s in zip(scenes, ndvi, swir, strict=True):
        red = NIR * (1 - n) / (1 + n)
        means = {"B02": 0.03, "B04": red, "B08": NIR, "B11": s}
        for band, value in means.items():
            rows.append(Signature(parcel=parcel, scene=scene, band=band, count=100,
                                  sensing_time=scene.sensing_time, mean=_dn(value)))  # fmt: skip
        rows.append(Signature(parcel=parcel, scene=scene, band="SCL", count=100,
                              sensing_time=scene.sensing_time, hist={"4": 100}))  # fmt: skip
    Signature.objects.bulk_create(rows)


@pytest.fixture
def marked(db: Any, alice: Any) -> dict[str, Any]:
    """nl 2024: 'mown' (grass cut on 10 June), 'idle' (grass never cut), 'ploughed'
    (grass, cut, then ploughed on 20 July), 'wheat' (a crop no rule knows); alice granted nl."""
    dataset = ParcelDataset.objects.create(aoi="nl", year=YEAR, srid=4326, source="test")
    aoi_grant(user=alice, aoi="nl")
    footprint = box(5.0, 52.0, 0.5)
    scenes = [
        make_scene(
            tile="31UFU",
            sensing=dt.datetime.fromordinal(d).replace(hour=10, tzinfo=dt.UTC),
            footprint=footprint,
            bands={},
            source_href="/nowhere",
        )  # fmt: skip
        for d in DAYS
    ]
    parcels = {}
    for i, (pid, crop) in enumerate([("mown", "265"), ("idle", "265"), ("ploughed", "265"),
                                     ("wheat", "233")]):  # fmt: skip
        geom = box(5.1 + 0.01 * i, 52.1, 0.003)
        parcels[pid] = Parcel.objects.create(
            dataset=dataset, pid=pid, crop_name=crop, crop_code=crop, area=10000,
            centroid=geom.centroid, geom=geom, geom_native=bytes(geom.wkb),
        )  # fmt: skip
    write_series(parcels["mown"], scenes, grass(DAYS, [CUT]), [0.2] * len(DAYS))
    write_series(parcels["idle"], scenes, [0.82] * len(DAYS), [0.2] * len(DAYS))
    ploughed = [0.2 if d >= PLOUGH else v for d, v in zip(DAYS, grass(DAYS, [CUT]), strict=True)]
    write_series(
        parcels["ploughed"], scenes, ploughed, [0.25 if d >= PLOUGH else 0.2 for d in DAYS]
    )
    write_series(parcels["wheat"], scenes, [0.82] * len(DAYS), [0.2] * len(DAYS))
    rules.load_data(dataset, DEMO_RULES)
    return {"dataset": dataset, "parcels": parcels, "scenes": scenes}
