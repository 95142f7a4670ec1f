"""The per-process footprint cache: a scene's footprint is read from the database once; later
selections take it from the cache (no footprint query, the same footprint), a caller's
change to a scene's footprint never reaches the cache, and a deleted scene leaves it.
(Each selection here forgets the memo of whole selections, chips.catalogue.memo, so that
the candidate query runs: tests/catalogue/test_memo.py is about that one.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chips.catalogue import selection
from chips.models import Scene
from testing.raw_archive import write_tile_bands
from testing.scenes import footprint_of, make_scene, to_lonlat

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2024, 6, 20, 10, 40, tzinfo=dt.UTC)
WINDOW = {"start": dt.date(2024, 6, 20), "end": dt.date(2024, 6, 20)}
# Two tiles of one acquisition: the west one holds the point's chip whole, the east one a
# strip of it only (its data starts 300 m east of the point).
WEST = (32631, 600000, 5794020, 602000, 5800020)
EAST = (32631, 601300, 5794020, 609780, 5800020)
POINT = to_lonlat(32631, 601000, 5798000)


@pytest.fixture
def scenes(tmp_path: Path) -> dict[str, Scene]:
    selection.footprints.clear()
    return {
        name: make_scene(
            tile=tile,
            epsg=32631,
            sensing=DAY,
            footprint=footprint_of(*box),
            bands=write_tile_bands(tmp_path, tile, i),
            baseline=baseline,
        )  # fmt: skip
        for i, (name, tile, box, baseline) in enumerate(
            [("west", "31UFT", WEST, "05.09"), ("east", "31UGT", EAST, "05.11")]
        )
    }


def select() -> list[Scene]:
    selection.selected.clear()
    lon, lat = POINT
    return selection.select_scenes(lon=lon, lat=lat, chipsize=1280, level="LEVEL2A", **WINDOW)


def test_footprints_are_read_once_then_served_from_the_cache(scenes: dict[str, Scene]) -> None:
    with CaptureQueriesContext(connection) as first:
        chosen = select()
    # The tile holding the whole chip wins over the higher baseline covering a strip.
    assert [s.product_id for s in chosen] == [scenes["west"].product_id]
    assert len(first) == 3  # the catalogue's version, the candidates, their footprints
    assert len(selection.footprints) == 2
    with CaptureQueriesContext(connection) as second:
        again = select()
    assert len(second) == 2  # the catalogue's version and the candidates only
    assert [s.product_id for s in again] == [scenes["west"].product_id]
    stored = Scene.objects.get(pk=scenes["west"].pk).footprint
    cached = selection.footprints.footprint(again[0])
    assert cached.equals_exact(stored, 0) and cached.srid == stored.srid == 4326
    # The scene itself still reads its own footprint from its row when asked.
    assert again[0].footprint.equals_exact(stored, 0)
    assert again[0].footprint is not cached


def test_a_deleted_scene_leaves_the_cache(scenes: dict[str, Scene]) -> None:
    select()
    assert len(selection.footprints) == 2
    scenes["west"].delete()
    assert len(selection.footprints) == 1
    # Now the east tile is the only candidate: chosen though it covers a strip only.
    assert [s.product_id for s in select()] == [scenes["east"].product_id]


def test_coverage_from_the_cache_matches_geos(scenes: dict[str, Scene]) -> None:
    lon, lat = POINT
    square = selection.chip_square_wgs84(lon=lon, lat=lat, chipsize=1280)
    candidates = selection.candidate_scenes(square=square, level="LEVEL2A", **WINDOW)
    key = bytes(square.wkb)
    shares = []
    for scene in candidates:
        fresh = Scene.objects.get(pk=scene.pk).footprint
        share = selection.footprints.coverage(scene, square, key)
        expected = 1.0 if square.within(fresh) else fresh.intersection(square).area / square.area
        assert share == round(expected, 6)
        assert selection.footprints.coverage(scene, square, key) == share  # remembered
        shares.append(share)
    assert shares[0] == 1.0 and 0 < shares[1] < 1
