"""Two AOIs of hand-made parcels (boxes of known corners) with traffic lights written by
hand: what the inspection pages must show is known without running the detector.

nl 2024: p01 red, p02 yellow, p03 green, p04 red, p05 not assessed, p06 yellow, in a row
from west to east (0.004° boxes, 0.006° apart); nl 2023 holds a p01 too; be 2024 (not
granted to alice) holds p01 and p02.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from markers.models import MarkerEvent, TrafficLight
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant

LON0, LAT0, SIZE, STEP = 5.1, 52.1, 0.004, 0.006
LIGHTS = {"p01": "red", "p02": "yellow", "p03": "green", "p04": "red", "p05": None,
          "p06": "yellow"}  # fmt: skip
PRACTICES = {"p01": "grassland", "p02": "grassland", "p03": "arable", "p04": "arable",
             "p06": "grassland"}  # fmt: skip
CROPS = {"grassland": ("265", "grass"), "arable": ("233", "wheat")}


def box(lon: float, lat: float, size: float = SIZE) -> MultiPolygon:
    ring = ((lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat))
    return MultiPolygon(Polygon(ring), srid=4326)


def corner(pid: str) -> tuple[float, float]:
    """The south-west corner of parcel `pid` of nl 2024 (p01 westmost)."""
    return LON0 + STEP * (int(pid[1:]) - 1), LAT0


def make_parcel(
    dataset: ParcelDataset, pid: str, lon: float, lat: float, crop: tuple[str, str]
) -> Parcel:
    geom = box(lon, lat)
    return Parcel.objects.create(
        dataset=dataset, pid=pid, crop_code=crop[0], crop_name=crop[1], area=76_000,
        centroid=geom.centroid, geom=geom, geom_native=bytes(geom.wkb),
    )  # fmt: skip


def set_light(parcel: Parcel, light: str, practice: str = "grassland") -> TrafficLight:
    row, _ = TrafficLight.objects.update_or_create(
        parcel=parcel, year=parcel.dataset.year,
        defaults=dict(practice=practice, light=light, reason_code=f"{light}_reason",
                      reason=f"the {light} reason", observability=0.8, clear_observations=20,
                      events=0, detector="test-1", rules="7#abc"),
    )  # fmt: skip
    return row


@pytest.fixture
def lit(db: Any, alice: Any) -> dict[str, Any]:
    nl = ParcelDataset.objects.create(aoi="nl", year=2024, srid=4326, source="test", parcel_count=6)
    old = ParcelDataset.objects.create(
        aoi="nl", year=2023, srid=4326, source="test", parcel_count=1
    )
    be = ParcelDataset.objects.create(aoi="be", year=2024, srid=4326, source="test", parcel_count=2)
    aoi_grant(user=alice, aoi="nl")
    parcels = {}
    for pid, light in LIGHTS.items():
        practice = PRACTICES.get(pid, "grassland")
        parcels[pid] = make_parcel(nl, pid, *corner(pid), CROPS[practice])
        if light:
            set_light(parcels[pid], light, practice)
    make_parcel(old, "p01", LON0, LAT0, CROPS["grassland"])
    for pid in ("p01", "p02"):
        make_parcel(be, pid, 4.4, 50.8 + 0.01 * int(pid[1:]), CROPS["grassland"])
    MarkerEvent.objects.create(
        parcel=parcels["p01"], year=2024, marker="ploughing", marker_type="S2",
        date_start="2024-07-15", date_main="2024-07-18", date_end="2024-07-20", value_1=0.8,
        value_2=0.2, value_3=-0.6, signal="NDVI", confidence=0.9, observations=12,
        detector="test-1",
    )  # fmt: skip
    return {"nl": nl, "old": old, "be": be, "parcels": parcels}
