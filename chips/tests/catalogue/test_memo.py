"""The catalogue memo (chips.catalogue.memo): a warm selection and plan (raw chips and
composites) read nothing but the catalogue's version; any change to the scenes or band
files, by any writer (raw SQL here, as another process or an operator would), is seen by
the very next request; learning a file's grid changes nothing; a database that lost its
version row gets a new one. On SpatiaLite too (the demo's database), where the triggers are
row triggers of their own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chips.catalogue import memo, selection
from chips.composite.plan import CompositeRequest, plan_composites
from chips.models import Asset, CatalogueVersion, Scene
from chips.raster.render import Lut
from chips.raw.plan import plan_raw
from testing.auth import make_user
from testing.raw_archive import P_OVERLAP_UTM31, tile_footprint, write_tile_bands
from testing.scenes import make_scene, to_lonlat

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
DAY = dt.datetime(2024, 6, 20, 10, 40, tzinfo=dt.UTC)
POINT = to_lonlat(32631, *P_OVERLAP_UTM31)
WINDOW = {"start": dt.date(2024, 6, 1), "end": dt.date(2024, 6, 30)}


@pytest.fixture
def scenes(tmp_path: Path) -> list[Scene]:
    return [
        make_scene(
            tile="31UFT",
            epsg=32631,
            sensing=DAY + dt.timedelta(days=3 * i),
            footprint=tile_footprint("31UFT"),
            bands=write_tile_bands(tmp_path / str(i), "31UFT", i),
        )
        for i in range(3)
    ]


def select() -> list[Scene]:
    lon, lat = POINT
    return selection.select_scenes(lon=lon, lat=lat, chipsize=1280, level="LEVEL2A", **WINDOW)


def plan(scenes: list[Scene]) -> list[str]:
    lon, lat = POINT
    chosen = plan_raw(scenes=scenes, bands=["B04", "SCL"], lon=lon, lat=lat, chipsize=1280,
                      batch_labels=True)  # fmt: skip
    return [p.label for p in chosen.chips]


def ids(scenes: list[Scene]) -> list[str]:
    return [s.product_id for s in scenes]


def version() -> int:
    return CatalogueVersion.objects.get(pk=1).version


def test_a_warm_selection_and_plan_read_only_the_version(scenes: list[Scene]) -> None:
    first = select()
    labels = plan(first)
    assert ids(first) == ids(scenes) and len(labels) == 6
    with CaptureQueriesContext(connection) as warm:
        again = select()
        assert plan(again) == labels
    assert ids(again) == ids(scenes)
    assert len(warm) == 2
    assert all("catalogueversion" in q["sql"] for q in warm.captured_queries)


def test_a_scene_added_by_raw_sql_is_seen_at_once(scenes: list[Scene]) -> None:
    assert ids(select()) == ids(scenes)
    before = version()
    # Another writer copies the last scene to a later date, under another product id.
    copied = "copied-by-another-writer"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO chips_scene (product_id, mission, level, tile, relative_orbit,
                sensing_time, processing_baseline, generation_time, cloud_cover, footprint,
                epsg, radiometric_offset, source_format, source_href, ingested_at)
            SELECT %s, mission, level, tile, relative_orbit, %s,
                processing_baseline, generation_time, cloud_cover, footprint, epsg,
                radiometric_offset, source_format, source_href, ingested_at
            FROM chips_scene WHERE id = %s
            """,
            [copied, scenes[-1].sensing_time + dt.timedelta(days=2), scenes[-1].pk],
        )
    assert version() != before
    assert ids(select()) == [*ids(scenes), copied]


def test_a_band_file_removed_by_raw_sql_leaves_the_plan(scenes: list[Scene]) -> None:
    chosen = select()
    assert len(plan(chosen)) == 6
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM chips_asset WHERE scene_id = %s AND band = 'SCL'", [scenes[0].pk]
        )
    labels = plan(select())
    assert len(labels) == 5
    assert f"{scenes[0].sensing_key}_SCL" not in labels


def test_a_deleted_scene_leaves_the_selection(scenes: list[Scene]) -> None:
    assert ids(select()) == ids(scenes)
    Scene.objects.filter(pk=scenes[1].pk).delete()
    assert ids(select()) == ids([scenes[0], scenes[2]])


def test_learning_a_grid_keeps_the_version(scenes: list[Scene]) -> None:
    plan(select())  # learns the grids of the band files it planned on
    assert Asset.objects.filter(grid__isnull=False).count() == 6
    before = version()
    Asset.objects.update(grid=None)
    assert version() == before
    Scene.objects.filter(pk=scenes[0].pk).update(cloud_cover=12.5)
    assert version() != before


def test_a_lost_version_row_is_made_again(scenes: list[Scene]) -> None:
    assert ids(select()) == ids(scenes)
    CatalogueVersion.objects.all().delete()  # a flush empties every table
    found = memo.catalogue_version()
    assert found is not None and found[1] == version()
    Scene.objects.filter(pk=scenes[2].pk).delete()
    assert ids(select()) == ids(scenes[:2])


PROBE = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from chips.catalogue.memo import catalogue_version
from chips.models import Asset, Scene
from testing.scenes import footprint_of, make_scene
import datetime as dt
seen = [catalogue_version()[1]]
scene = make_scene(tile="31UFT", epsg=32631, sensing=dt.datetime(2024, 6, 20, tzinfo=dt.UTC),
                   footprint=footprint_of(32631, 600000, 5794020, 609780, 5800020),
                   bands={"B04": ("/nowhere/B04.tif", 10)})
seen.append(catalogue_version()[1])
Asset.objects.update(grid=[10, 0, 600000, 0, -10, 5800020, 10980, 10980])
seen.append(catalogue_version()[1])
Asset.objects.update(href="/elsewhere/B04.tif")
seen.append(catalogue_version()[1])
scene.delete()
seen.append(catalogue_version()[1])
print(" ".join(str(v) for v in seen))
"""


def test_spatialite_counts_the_same_changes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        CBMWEB_DEMO="1",
        CBMWEB_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"spatialite:///{tmp_path / 'memo.sqlite3'}",
        DJANGO_SETTINGS_MODULE="cbmweb.settings",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    fresh, added, grid_learnt, moved, deleted = result.stdout.split()
    assert added != fresh  # a scene and its band file added
    assert grid_learnt == added  # a grid learnt is no change
    assert moved != added and deleted != moved  # a band file moved, a scene deleted


def test_a_composite_plan_is_kept_and_follows_its_band_files(scenes: list[Scene]) -> None:
    lon, lat = POINT
    request = CompositeRequest(lon=lon, lat=lat, chipsize=1280, level="LEVEL2A",
                               start=WINDOW["start"], end=WINDOW["end"],
                               bands=("B04", "B04", "B04"), lut=Lut.percentile(5, 95))  # fmt: skip
    user = make_user("ana")
    first = plan_composites(user=user, ip="10.0.0.1", request=request)
    assert [i.scene.product_id for i in first.items] == ids(scenes)
    assert all(i.scl is not None for i in first.items)
    with CaptureQueriesContext(connection) as warm:
        again = plan_composites(user=user, ip="10.0.0.1", request=request)
    assert [i.key for i in again.items] == [i.key for i in first.items]
    assert not any("chips_asset" in q["sql"] for q in warm.captured_queries)
    # A refresh asks for the same composites: it plans nothing again either.
    refreshed = plan_composites(
        user=user, ip="10.0.0.1", request=dataclasses.replace(request, refresh=True)
    )
    assert [i.key for i in refreshed.items] == [i.key for i in first.items]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM chips_asset WHERE scene_id = %s AND band = 'SCL'",
                       [scenes[1].pk])  # fmt: skip
    changed = plan_composites(user=user, ip="10.0.0.1", request=request)
    assert [i.scl is None for i in changed.items] == [False, True, False]
