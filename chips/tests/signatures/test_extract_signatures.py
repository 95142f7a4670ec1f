"""manage.py extract_signatures in-process (no broker): the bulk engine's rows equal the
one-parcel engine's and the independent statistics; a second run adds nothing; the time
series then reads the store alone."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.test import Client

from chips.models import Scene, Signature, SignatureExtraction
from chips.signatures import compute
from chips.tests.signatures.conftest import expected_stats
from parcels.models import Parcel
from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db
FIELDS = ("count", "mean", "std", "min", "p25", "p50", "p75", "max", "hist")


def run(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("extract_signatures", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_bulk_rows_equal_one_parcel_rows_and_the_source_pixels(
    archive: dict[str, Scene], parcels: dict[str, shapely.Polygon]
) -> None:
    summary = run("--aoi", "zz", "--year", "2024", "--bands", "B04,SCL")
    assert "7 scenes, 7 extracted, 0 already done, 0 failed" in summary, summary
    bulk = {
        (r.parcel.pid, r.scene_id, r.band): r for r in Signature.objects.select_related("parcel")
    }
    # Every parcel a scene's footprint meets, both bands: inA, overlap, overlap2, edge on
    # the tile-A scenes (5) and on B1 (not inA), border on the zone-border pair.
    assert SignatureExtraction.objects.count() == 7
    assert {k[0] for k in bulk} == set(parcels)
    for (pid, scene_id, band), row in bulk.items():
        scene = Scene.objects.get(pk=scene_id)
        values = expected_stats(scene.assets.get(band=band).href, parcels[pid], scene.epsg)
        assert row.count == values.size
        if not values.size:
            continue
        if band == "SCL":
            classes, counts = np.unique(values, return_counts=True)
            assert row.hist == {str(c): int(n) for c, n in zip(classes, counts, strict=True)}
        else:
            data = values.astype(np.float64)
            assert row.mean == pytest.approx(data.mean(), abs=1e-6)
            assert row.std == pytest.approx(data.std(), abs=1e-6)
            assert [row.p25, row.p50, row.p75] == pytest.approx(
                np.percentile(data, [25, 50, 75]).tolist(), abs=1e-6
            )
            assert (row.min, row.max) == (data.min(), data.max())
    # The one-parcel engine gives the same rows (the overlapping pair included).
    for (pid, scene_id, band), row in bulk.items():
        one = compute.parcel_scene(row.parcel_id, scene_id, [band])
        assert one == 1
        again = Signature.objects.get(parcel_id=row.parcel_id, scene_id=scene_id, band=band)
        for name in FIELDS:
            value, expected = getattr(again, name), getattr(row, name)
            if isinstance(expected, float):
                assert value == pytest.approx(expected, abs=1e-9), (pid, band, name)
            else:
                assert value == expected, (pid, band, name)


def test_second_run_adds_nothing_and_the_series_reads_the_store(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth, tmp_path: Path,
) -> None:  # fmt: skip
    run("--aoi", "zz", "--year", "2024", "--start", "2024-06-01", "--end", "2024-06-30")
    rows = Signature.objects.count()
    marks = list(SignatureExtraction.objects.values_list("scene_id", "finished"))
    again = run("--aoi", "zz", "--year", "2024", "--start", "2024-06-01", "--end", "2024-06-30")
    assert "5 scenes, 0 extracted, 5 already done" in again, again
    assert Signature.objects.count() == rows
    assert list(SignatureExtraction.objects.values_list("scene_id", "finished")) == marks
    # Every file of June gone: the series still answers, from the store.
    expected = client.get(
        "/query/parcelTimeSeries?aoi=zz&year=2024&pid=inA&band=B04&start_date=2024-06-01"
        "&end_date=2024-06-30", **auth
    )  # fmt: skip
    for scene in archive.values():
        scene.assets.update(href=str(tmp_path / "gone.tif"))
    answer = client.get(
        "/query/parcelTimeSeries?aoi=zz&year=2024&pid=inA&band=B04&start_date=2024-06-01"
        "&end_date=2024-06-30", **auth
    )  # fmt: skip
    assert answer.status_code == 200 and json.loads(answer.content) == json.loads(expected.content)
    assert len(json.loads(answer.content)["band"]) == 3


def test_unknown_dataset_and_band(
    archive: dict[str, Scene], parcels: dict[str, shapely.Polygon]
) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no dataset"):
        run("--aoi", "xx", "--year", "2024")
    with pytest.raises(CommandError, match="not LEVEL2A bands: B10"):
        run("--aoi", "zz", "--year", "2024", "--bands", "B04,B10")


def test_admin_shows_how_far_extraction_has_gone(
    archive: dict[str, Scene], parcels: dict[str, shapely.Polygon], staff_client: Client
) -> None:
    from django.contrib.auth.models import User

    User.objects.filter(is_staff=True).update(is_superuser=True)
    run("--aoi", "zz", "--year", "2024", "--start", "2024-06-01", "--end", "2024-06-04")
    response = staff_client.get("/admin/chips/extractionprogress/")
    assert response.status_code == 200
    rows = sum(SignatureExtraction.objects.values_list("rows", flat=True))
    cells = re.findall(r'<td class="field-(\w+)">([^<]*)</td>', response.content.decode())
    values = dict(cells)
    # 7 scenes over the parcels in 2024, 3 of them (June 1 and 4) extracted.
    assert values["scenes"] == "7" and values["extracted"] == "3", cells
    assert values["rows"] == str(rows) and rows > 0


def test_rows_already_there_are_updated_not_duplicated(
    archive: dict[str, Scene], parcels: dict[str, shapely.Polygon]
) -> None:
    # One parcel's B04 row recorded first (as a parcelTimeSeries request does), with a
    # wrong value: the bulk COPY meets it, stops, and the upsert writes every row.
    parcel = Parcel.objects.get(pid="inA")
    scene = next(
        s for s in Scene.objects.order_by("sensing_time")
        if expected_stats(s.assets.get(band="B04").href, parcels["inA"], s.epsg).size
    )  # fmt: skip
    assert compute.parcel_scene(parcel.pk, scene.pk, ["B04"]) == 1
    Signature.objects.filter(parcel=parcel, scene=scene).update(mean=-1.0)
    run("--aoi", "zz", "--year", "2024", "--bands", "B04,SCL")
    assert Signature.objects.filter(parcel=parcel, scene=scene, band="B04").count() == 1
    row = Signature.objects.get(parcel=parcel, scene=scene, band="B04")
    values = expected_stats(scene.assets.get(band="B04").href, parcels["inA"], scene.epsg)
    assert row.count == values.size
    assert row.mean == pytest.approx(values.astype(np.float64).mean(), abs=1e-6)
    # Every scene's rows, once each: as many as a run on an empty store gives.
    keys = list(Signature.objects.values_list("parcel_id", "scene_id", "band"))
    assert len(keys) == len(set(keys))
    total = len(keys)
    Signature.objects.all().delete()
    SignatureExtraction.objects.all().delete()
    run("--aoi", "zz", "--year", "2024", "--bands", "B04,SCL")
    assert Signature.objects.count() == total
