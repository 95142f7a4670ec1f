"""Over the per-request chip limit, the 400 lists the date windows that each fit
(`"windows": [[start, end], ...]`): asked in turn, every one is accepted, and together they
give every chip of the window asked first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from chips.errors import fitting_windows
from chips.tests.web.test_api_raw_chips import get, params_at
from chips.tests.web.test_pages import JSON, location_url, wait_done
from testing import composite_archive as fx
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import to_lonlat


def check_windows(windows: list[list[str]], start: str, end: str) -> None:
    """Windows tile [start, end]: in order, each starting the day after the last ended."""
    assert windows[0][0] == start and windows[-1][1] == end
    for (_, last_end), (next_start, _) in zip(windows, windows[1:], strict=False):
        gap = dt.date.fromisoformat(next_start) - dt.date.fromisoformat(last_end)
        assert gap == dt.timedelta(days=1)


@pytest.mark.django_db
def test_raw_chips_over_the_limit_list_the_windows_that_fit(
    client: Client, auth: dict, archive: Any, settings: Any
) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 1
    lonlat = to_lonlat(32631, *P_OVERLAP_UTM31)
    status, body = get(client, auth, **params_at(lonlat))
    assert status == 400 and body["param"] == "end_date"
    windows = body["windows"]
    assert len(windows) == 3  # three acquisitions, one a request
    check_windows(windows, "2024-06-01", "2024-06-30")
    dates: list[str] = []
    for start, end in windows:
        status, part = get(client, auth, **params_at(lonlat, start_date=start, end_date=end))
        assert status == 200, part
        assert len(part["chips"]) == 1
        dates += part["dates"]
    status, whole = get(client, auth, **params_at(lonlat))  # all held now: no limit
    assert status == 200 and whole["dates"] == dates


@pytest.mark.django_db(transaction=True)
def test_composites_over_the_limit_list_the_windows_that_fit(
    tmp_path: Path, chip_store: Path, staff_client: Client, settings: Any
) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 2
    scenes = fx.make_scenes(tmp_path / "archive", 5)  # 5 dates, 5 days apart
    answer = staff_client.get(location_url(), **JSON)
    assert answer.status_code == 400
    windows = answer.json()["windows"]
    check_windows(windows, "2024-05-01", "2024-06-30")
    assert len(windows) == 3  # 2 + 2 + 1
    made: list[str] = []
    for start, end in windows:
        part = staff_client.get(location_url(start_date=start, end_date=end), **JSON)
        assert part.status_code == 200, part.content
        body = wait_done(staff_client, location_url(start_date=start, end_date=end))
        assert body["state"] == "done" and 1 <= len(body["chips"]) <= 2
        made += body["dates"]
    assert made == [s.sensing_key for s in scenes]


def test_fitting_windows_keep_a_day_whole_and_end_at_the_end() -> None:
    day = dt.date(2024, 6, 1)
    days = [day, day, day + dt.timedelta(days=2), day + dt.timedelta(days=9)]
    # Two chips of one day (two orbits) stay together even over a limit of 1.
    windows = fitting_windows(days, start=day, end=dt.date(2024, 6, 30), limit=1)
    assert windows == [
        ("2024-06-01", "2024-06-02"),
        ("2024-06-03", "2024-06-09"),
        ("2024-06-10", "2024-06-30"),
    ]
    assert fitting_windows(days, start=day, end=dt.date(2024, 6, 30), limit=2) == [
        ("2024-06-01", "2024-06-02"),
        ("2024-06-03", "2024-06-30"),
    ]
    assert fitting_windows([], start=day, end=day, limit=2) == [("2024-06-01", "2024-06-01")]
