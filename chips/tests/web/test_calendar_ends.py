"""Date windows at the calendar's ends (0001-01-01, 9999-12-31): answered, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from chips.catalogue.selection import candidate_scenes, chip_square_wgs84
from chips.models import Scene
from testing.auth import BasicAuth
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import to_lonlat

pytestmark = pytest.mark.django_db
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def test_window_to_the_last_day_finds_every_scene_after_its_start(
    archive: dict[str, Scene],
) -> None:
    lon, lat = to_lonlat(32631, *P_OVERLAP_UTM31)
    square = chip_square_wgs84(lon=lon, lat=lat, chipsize=1280)
    found = candidate_scenes(
        square=square, level="LEVEL2A", start=dt.date(2024, 6, 2), end=dt.date.max
    )
    expected = sorted(
        (s for s in archive.values() if s.level == "LEVEL2A" and s.footprint.intersects(square)),
        key=lambda s: (s.sensing_time, s.product_id),
    )
    expected = [s for s in expected if s.sensing_time.date() >= dt.date(2024, 6, 2)]
    assert expected and [s.product_id for s in found] == [s.product_id for s in expected]


@pytest.mark.parametrize("start,end", [("2024-06-01", "9999-12-31"), ("0001-01-01", "0001-01-05")])
@pytest.mark.parametrize("endpoint", ["rawChipByLocation", "chipsByLocation"])
def test_location_endpoints_answer_the_calendar_ends(
    client: Client, auth: BasicAuth, archive: dict[str, Scene], endpoint: str, start: str, end: str
) -> None:
    lon, lat = to_lonlat(32631, *P_OVERLAP_UTM31)
    params = {
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "start_date": start,
        "end_date": end,
        "onlylist": "True",
    }
    response = client.get(f"/query/{endpoint}", params, HTTP_ACCEPT="application/json", **auth)
    assert response.status_code in (200, 202, 400), response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "start,end,present,absent",
    [
        ("0001-01-01", "0001-01-05", "later", "earlier"),
        ("9999-12-20", "9999-12-31", "earlier", "later"),
    ],
)
def test_page_links_stop_at_the_calendar_ends(
    client: Client, auth: BasicAuth, chip_store: object, start: str, end: str, present: str,
    absent: str,
) -> None:  # fmt: skip
    params = {"lon": "5.0", "lat": "52.0", "start_date": start, "end_date": end}
    response = client.get("/query/chipsByLocation", params, HTTP_ACCEPT=HTML, **auth)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="{present}"' in page and f'id="{absent}"' not in page
