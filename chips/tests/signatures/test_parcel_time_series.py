"""parcelTimeSeries against values computed independently from the source band files
(chips/tests/signatures/conftest.py): pixels whose centre is inside the parcel on each
band's own grid, nodata out, numpy statistics; the CbM client's way of reading it."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from django.contrib.auth.models import User
from django.test import Client

from chips.models import Scene, Signature
from chips.tests.signatures.conftest import WedgeMaker, expected_stats
from testing.auth import BasicAuth, basic
from testing.raw_archive import T1, T2, T3, TZ31, TZ32

pytestmark = pytest.mark.django_db
JUNE = "start_date=2024-06-01&end_date=2024-07-31"
CLEAR = (4, 5, 6, 7)


def series(client: Client, auth: BasicAuth, query: str, status: int = 200) -> Any:
    response = client.get(f"/query/parcelTimeSeries?aoi=zz&year=2024&{query}", **auth)
    assert response.status_code == status, response.content
    return response


def frame(response: Any) -> pd.DataFrame:
    """As the CbM client reads it."""
    df = pd.DataFrame.from_dict(json.loads(response.content), orient="columns")
    if len(df):
        df["date"] = pd.to_datetime(df["date_part"], unit="s")
    return df


def check_row(row: Any, values: np.ndarray, *, shift: int = 0) -> None:
    data = values.astype(np.float64)
    assert row["count"] == values.size > 0
    assert row["mean"] == pytest.approx(data.mean() + shift, abs=1e-6)
    assert row["std"] == pytest.approx(data.std(), abs=1e-6)
    p25, p50, p75 = np.percentile(data, [25, 50, 75])
    assert row["p25"] == pytest.approx(p25 + shift, abs=1e-6)
    assert row["p50"] == pytest.approx(p50 + shift, abs=1e-6)
    assert row["p75"] == pytest.approx(p75 + shift, abs=1e-6)
    assert row["min"] == data.min() + shift and row["max"] == data.max() + shift


def scl_hist(values: np.ndarray) -> dict[str, int]:
    classes, counts = np.unique(values, return_counts=True)
    return {str(c): int(n) for c, n in zip(classes, counts, strict=True)}


def test_parcel_inside_one_tile_b04_and_scl_on_their_own_grids(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    df = frame(series(client, auth, f"pid=inA&{JUNE}&ref=True"))
    # Tile A only: A1 (T1), A2 (T2, JP2), A3new (T3: the higher baseline of two).
    expected = [archive["A1"], archive["A2"], archive["A3new"]]
    assert list(df["reference"]) == [s.product_id for s in expected]
    assert list(df["band"]) == ["B04"] * 3  # the archive's files: B04 and SCL
    assert list(df["date"]) == [pd.Timestamp(s.sensing_time).tz_localize(None) for s in expected]
    for (_, row), scene in zip(df.iterrows(), expected, strict=True):
        b04 = expected_stats(scene.assets.get(band="B04").href, parcels["inA"], scene.epsg)
        check_row(row, b04)
        scl = expected_stats(scene.assets.get(band="SCL").href, parcels["inA"], scene.epsg)
        hist = json.loads(row["hist"])
        assert hist == scl_hist(scl)
        assert sum(hist.values()) == scl.size > 250  # 20 m pixels: a quarter of B04's
        assert 4 * scl.size == pytest.approx(b04.size, rel=0.05)

    scl_df = frame(series(client, auth, f"pid=inA&{JUNE}&tstype=scl"))
    assert list(scl_df["band"]) == ["SCL"] * 3
    assert [json.loads(h) for h in scl_df["hist"]] == [json.loads(h) for h in df["hist"]]
    assert list(scl_df["count"]) == [sum(json.loads(h).values()) for h in df["hist"]]


@pytest.mark.parametrize(("pid", "t1_scene"), [("overlap", "B1"), ("edge", "A1")])
def test_tile_overlap_gives_one_row_from_the_best_scene(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth, pid: str, t1_scene: str,
) -> None:  # fmt: skip
    df = frame(series(client, auth, f"pid={pid}&{JUNE}&ref=True&band=B04"))
    t1 = df[df["date_part"] == T1.timestamp()]
    assert len(t1) == 1  # one datatake, two tiles: one row
    scene = archive[t1_scene]
    assert t1.iloc[0]["reference"] == scene.product_id
    check_row(t1.iloc[0], expected_stats(scene.assets.get(band="B04").href, parcels[pid], 32631))


def test_parcel_across_the_utm_zone_border(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    df = frame(series(client, auth, f"pid=border&{JUNE}&ref=True"))
    assert list(df["date_part"]) == [TZ31.timestamp(), TZ32.timestamp()]
    for (_, row), name in zip(df.iterrows(), ["Z31", "Z32"], strict=True):
        scene = archive[name]
        assert row["reference"] == scene.product_id
        # Each in its own zone's CRS (32631, 32632), on its own grid.
        check_row(row, expected_stats(scene.assets.get(band="B04").href, parcels["border"],
                                      scene.epsg))  # fmt: skip


def test_nodata_wedge_and_harmonize_across_two_baselines(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth,
) -> None:  # fmt: skip
    old = extra_scene(sensing=dt.datetime(2024, 8, 2, 10, 40, 31, tzinfo=dt.UTC), seed=41,
                      baseline="02.12", offset=0)  # fmt: skip
    wedge = extra_scene(sensing=dt.datetime(2024, 8, 5, 10, 40, 31, tzinfo=dt.UTC), seed=42,
                        wedge=-1600, baseline="05.11", offset=-1000)  # fmt: skip
    window = "start_date=2024-08-01&end_date=2024-08-31&ref=True"
    raw = frame(series(client, auth, f"pid=inA&{window}"))
    harmonized = frame(series(client, auth, f"pid=inA&{window}&harmonize=True"))
    assert list(raw["reference"]) == [old.product_id, wedge.product_id]
    for scene, (_, row), (_, hrow) in zip(
        [old, wedge], raw.iterrows(), harmonized.iterrows(), strict=True
    ):
        b04 = expected_stats(scene.assets.get(band="B04").href, parcels["inA"], scene.epsg)
        check_row(row, b04)
        check_row(hrow, b04, shift=scene.radiometric_offset)
        assert hrow["hist"] == row["hist"]
    # The wedge leaves part of the parcel without data: fewer valid pixels, none of them 0.
    assert 0 < raw.iloc[1]["count"] < 0.9 * raw.iloc[0]["count"]
    assert raw.iloc[1]["min"] > 0


def test_a_date_without_valid_pixels_is_left_out(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth,
) -> None:  # fmt: skip
    extra_scene(sensing=dt.datetime(2024, 8, 5, 10, 40, 31, tzinfo=dt.UTC), seed=43, wedge=-3000)
    df = frame(series(client, auth, "pid=inA&start_date=2024-08-01&end_date=2024-08-31"))
    assert (
        df.empty
        and json.loads(
            series(client, auth, "pid=inA&start_date=2024-08-01&end_date=2024-08-31").content
        )["band"]
        == []
    )


def test_min_clear_keeps_the_clear_dates(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    scenes = [archive["A1"], archive["A2"], archive["A3new"]]
    shares = []
    for scene in scenes:
        scl = expected_stats(scene.assets.get(band="SCL").href, parcels["inA"], scene.epsg)
        shares.append(100 * np.isin(scl, CLEAR).sum() / scl.size)
    threshold = sorted(shares)[1]
    kept = [s.product_id for s, share in zip(scenes, shares, strict=True) if share >= threshold]
    assert 0 < len(kept) < 3
    df = frame(series(client, auth, f"pid=inA&{JUNE}&ref=True&min_clear={threshold}"))
    assert list(df["reference"]) == kept
    assert frame(series(client, auth, f"pid=inA&{JUNE}&min_clear=0")).shape[0] == 3
    assert frame(series(client, auth, f"pid=inA&{JUNE}&min_clear=100")).empty


def test_csv_attachment_reads_as_the_json(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    as_json = frame(series(client, auth, f"pid=inA&{JUNE}&tstype=s2"))
    response = series(client, auth, f"pid=inA&{JUNE}&tstype=s2&tsformat=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="timeseries_zz2024_inA_s2.csv"'
    df = pd.read_csv(io.StringIO(response.content.decode()))
    assert list(df.columns) == [c for c in as_json.columns if c != "date"]
    assert list(df["date_part"]) == list(as_json["date_part"])
    for name in ("count", "mean", "std", "p25", "p50", "p75", "min", "max"):
        assert np.allclose(df[name], as_json[name], atol=1e-6, rtol=0)
    assert list(df["hist"]) == list(as_json["hist"])


def test_second_request_reads_the_store_only(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth, django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    scene = extra_scene(sensing=dt.datetime(2024, 8, 2, 10, 40, 31, tzinfo=dt.UTC), seed=44)
    query = "pid=inA&start_date=2024-08-01&end_date=2024-08-31"
    first = series(client, auth, query).json()
    assert Signature.objects.filter(scene=scene).count() == 2  # B04 and SCL
    for asset in scene.assets.all():  # no file left to open
        Path(asset.href).unlink()
    with django_assert_max_num_queries(8):
        second = series(client, auth, query).json()
    assert second == first and second["count"]
    assert Signature.objects.filter(scene=scene).count() == 2


def test_a_broken_file_fails_its_date_only(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    broken = archive["A2"]
    broken.assets.filter(band="B04").update(href="/nonexistent/B04.jp2")
    df = frame(series(client, auth, f"pid=inA&{JUNE}&ref=True"))
    assert list(df["reference"]) == [archive["A1"].product_id, archive["A3new"].product_id]
    assert not Signature.objects.filter(scene=broken).exists()  # nothing half-recorded


def test_access_and_bad_parameters(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth, bob: User,
) -> None:  # fmt: skip
    # bs and c6 are Sentinel-1 (chips/tests/s1): an unknown type is refused.
    for tstype in ("xx", "s3"):
        answer = series(client, auth, f"pid=inA&tstype={tstype}", status=400).json()
        assert answer["param"] == "tstype"
    assert series(client, auth, "pid=inA&min_clear=101", status=400).json()["param"] == "min_clear"
    assert series(client, auth, "pid=inA&band=B99", status=400).json()["param"] == "band"
    # L1C products have no SCL band: a class histogram of them is a bad request, not [].
    scl_l1c = series(client, auth, "pid=inA&tstype=scl&plevel=LEVEL1C", status=400).json()
    assert scl_l1c["param"] == "plevel"
    assert series(client, auth, "pid=nope", status=404).json()["param"] == "pid"
    # bob has no grant: 403 for a parcel that exists and for one that does not, alike.
    there = series(client, basic(bob.username), "pid=inA", status=403).json()
    missing = series(client, basic(bob.username), "pid=nope", status=403).json()
    assert there == missing
    assert client.get("/query/parcelTimeSeries?aoi=zz&year=2024&pid=inA").status_code == 401


def test_no_scene_gives_empty_columns(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    answer = series(client, auth, "pid=inA&start_date=2024-01-01&end_date=2024-01-31").json()
    assert answer and all(v == [] for v in answer.values())
    assert T2 > T1 and T3 > T2  # the archive's dates, as the tests above take them
