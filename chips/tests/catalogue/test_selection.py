"""Scene selection: footprint, level, UTC date window, one scene per acquisition."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chips.catalogue import selection
from chips.models import Scene
from testing.raw_archive import (
    P_BORDER_LONLAT,
    P_EDGE_UTM31,
    P_OVERLAP_UTM31,
    T1,
    tile_footprint,
    write_tile_bands,
)
from testing.scenes import footprint_of, make_scene, to_lonlat

pytestmark = pytest.mark.django_db

JUNE = {"start": dt.date(2024, 6, 1), "end": dt.date(2024, 6, 30)}


def select(lonlat: tuple[float, float], **kw) -> list[str]:
    lon, lat = lonlat
    args = {"chipsize": 1280, "level": "LEVEL2A", **JUNE, **kw}
    return [s.product_id for s in selection.select_scenes(lon=lon, lat=lat, **args)]


def test_one_scene_per_acquisition_with_tie_rules(archive: dict[str, Scene]) -> None:
    got = select(to_lonlat(32631, *P_OVERLAP_UTM31))
    # T1: A and B both cover fully -> higher baseline (B, 05.10); T2: the other orbit
    # counts on its own; T3: the same tile processed twice -> baseline 05.11.
    assert got == [archive[k].product_id for k in ("B1", "A2", "A3new")]


def test_better_covering_tile_wins_over_baseline(archive: dict[str, Scene]) -> None:
    got = select(to_lonlat(32631, *P_EDGE_UTM31))
    assert got[0] == archive["A1"].product_id  # B (05.10) covers 940 of its 1280 m only


def test_generation_time_breaks_a_baseline_tie(archive: dict[str, Scene], tmp_path: Path) -> None:
    late = make_scene(
        tile="31UFT", epsg=32631, sensing=T1, footprint=tile_footprint("31UFT"),
        bands=write_tile_bands(tmp_path, "31UFT", 9), baseline="05.10",
        generated=T1 + dt.timedelta(days=30),
    )  # fmt: skip
    got = select(to_lonlat(32631, *P_OVERLAP_UTM31))
    assert got[0] == late.product_id


def test_date_window_is_inclusive_in_utc(archive: dict[str, Scene]) -> None:
    point = to_lonlat(32631, *P_OVERLAP_UTM31)
    assert len(select(point, start=dt.date(2024, 6, 4), end=dt.date(2024, 6, 4))) == 1
    assert select(point, start=dt.date(2024, 6, 2), end=dt.date(2024, 6, 3)) == []
    assert len(select(point, start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 6))) == 3


def test_level_and_footprint_filter(archive: dict[str, Scene]) -> None:
    assert select(to_lonlat(32631, *P_OVERLAP_UTM31), level="LEVEL1C") == []
    # 20 km east of every tile: no footprint meets the square.
    assert select(to_lonlat(32631, 640000, 5798500)) == []


def test_partial_footprint_is_the_data_area(archive: dict[str, Scene], tmp_path: Path) -> None:
    """A tile whose data covers only its west part: a point in its east part, inside the
    tile square but outside the data, gets no scene from it."""
    make_scene(
        tile="31UFT", epsg=32631, sensing=dt.datetime(2024, 6, 20, 10, 40, tzinfo=dt.UTC),
        footprint=footprint_of(32631, 600000, 5794020, 602000, 5800020),
        bands=write_tile_bands(tmp_path, "31UFT", 10),
    )  # fmt: skip
    june20 = {"start": dt.date(2024, 6, 20), "end": dt.date(2024, 6, 20)}
    assert len(select(to_lonlat(32631, 601000, 5798000), **june20)) == 1
    assert select(to_lonlat(32631, 605000, 5798000), **june20) == []


def test_zone_border_point_finds_both_zones(archive: dict[str, Scene]) -> None:
    got = select(P_BORDER_LONLAT, start=dt.date(2024, 7, 1), end=dt.date(2024, 7, 31))
    assert got == [archive["Z31"].product_id, archive["Z32"].product_id]
