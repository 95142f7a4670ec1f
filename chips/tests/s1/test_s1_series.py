"""parcelTimeSeries tstype=bs and c6 against independent reads of the source files
(rasterio, geometry_mask on the parcel reprojected with pyproj, numpy in linear power):
both ingest paths, VV/VH parity, a parcel seen by two orbits, the orbit filters, the
nodata of each source, and the CbM client's CSV read as its S1 plot reads it."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.test import Client

from chips.models import SarScene, SarSignature
from chips.signatures.s1_series import s1_rows
from chips.tests.s1.conftest import parcel_values
from parcels.models import Parcel
from testing.auth import BasicAuth, basic
from testing.s1_archive import BS_REF, COH_REF, PC_NODATA, S1Archive

pytestmark = pytest.mark.django_db
WINDOW = "start_date=2019-12-01&end_date=2019-12-31"


def get(client: Client, auth: BasicAuth, query: str, status: int = 200) -> Any:
    response = client.get(f"/query/parcelTimeSeries?aoi=sx&year=2019&{query}", **auth)
    assert response.status_code == status, response.content
    return response


def frame(response: Any) -> pd.DataFrame:
    return pd.DataFrame.from_dict(json.loads(response.content), orient="columns")


def check(row: Any, values: np.ndarray) -> None:
    assert row["count"] == values.size > 0
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-6)
    assert row["std"] == pytest.approx(values.std(), rel=1e-5)
    p25, p50, p75 = np.percentile(values, [25, 50, 75])
    assert row["p50"] == pytest.approx(p50, rel=1e-6)
    assert row["p25"] == pytest.approx(p25, rel=1e-6)
    assert row["p75"] == pytest.approx(p75, rel=1e-6)
    assert row["min"] == pytest.approx(values.min()) and row["max"] == pytest.approx(values.max())


def test_bs_both_orbits(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    """The parcel lies under an ascending PC pass and a descending JRC pass: both listed,
    VH before VV per date, values from each source's own file and nodata."""
    df = frame(get(client, basic(alice.username), f"pid=f1&tstype=bs&orbit=True&ref=True&{WINDOW}"))
    assert list(df["band"]) == ["VHb", "VVb", "VHb", "VVb"]
    assert list(df["orbit_direction"]) == ["ASCENDING"] * 2 + ["DESCENDING"] * 2
    assert list(df["relative_orbit"][::2]) == [5, (19345 - 27) % 175 + 1]
    pc, card = df.iloc[:2], df.iloc[2:]
    parcel = s1_parcels["f1"]
    files = s1_catalogue
    check(pc.iloc[0], parcel_values(files.vh, parcel, nodata=PC_NODATA))
    check(pc.iloc[1], parcel_values(files.vv, parcel, nodata=PC_NODATA))
    check(card.iloc[0], parcel_values(files.bs_vh, parcel))
    check(card.iloc[1], parcel_values(files.bs_vv, parcel))
    assert card.iloc[0]["reference"] == BS_REF
    assert (
        df["date_part"].iloc[0] == dt.datetime(2019, 12, 15, 0, 43, 39, tzinfo=dt.UTC).timestamp()
    )


def test_nodata_edge_excluded(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    """f2 reaches over the real fixture's nodata: those pixels never count."""
    df = frame(
        get(client, basic(alice.username), f"pid=f2&tstype=bs&{WINDOW}&orbit_direction=ascending")
    )
    expected = parcel_values(s1_catalogue.vv, s1_parcels["f2"], nodata=PC_NODATA)
    assert list(df["band"]) == ["VHb", "VVb"]
    check(df.iloc[1], expected)


def test_orbit_filters(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    auth = basic(alice.username)
    df = frame(get(client, auth, f"pid=f1&tstype=bs&orbit_direction=DESCENDING&{WINDOW}"))
    assert len(df) == 2 and "orbit_direction" not in df
    assert len(frame(get(client, auth, f"pid=f1&tstype=bs&relative_orbit=5&{WINDOW}"))) == 2
    assert len(frame(get(client, auth, f"pid=f1&tstype=bs&relative_orbit=6&{WINDOW}"))) == 0
    one = frame(get(client, auth, f"pid=f1&tstype=bs&band=VV&{WINDOW}"))
    assert list(one["band"]) == ["VVb", "VVb"]
    bad = get(client, auth, "pid=f1&tstype=bs&orbit_direction=north", 400)
    assert bad.json()["param"] == "orbit_direction"
    assert get(client, auth, "pid=f1&tstype=bs&band=B04", 400).json()["param"] == "band"


def test_c6_bands_by_description(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    """The coherence file stores VH first: VVc is read from the band described VV."""
    df = frame(get(client, basic(alice.username), f"pid=f1&tstype=c6&orbit=True&{WINDOW}"))
    assert list(df["band"]) == ["VHc", "VVc"]
    parcel = s1_parcels["f1"]
    check(df.iloc[0], parcel_values(s1_catalogue.coh, parcel, band=1))
    check(df.iloc[1], parcel_values(s1_catalogue.coh, parcel, band=2))
    assert df.iloc[1]["mean"] > 1.5 * df.iloc[0]["mean"]  # VV is about twice VH here
    assert SarScene.objects.get(product_id=COH_REF).pk in set(
        SarSignature.objects.values_list("scene_id", flat=True)
    )


def test_warm_request_reads_the_store(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    auth = basic(alice.username)
    first = get(client, auth, f"pid=f1&tstype=bs&{WINDOW}").json()
    rows = SarSignature.objects.count()
    assert rows == 4
    # A file gone: the store answers alone, the same.
    assert get(client, auth, f"pid=f1&tstype=bs&{WINDOW}").json() == first
    assert SarSignature.objects.count() == rows


def test_cbm_client_csv_s1_plot(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    """time_series_bs.csv as the CbM client's S1 plot reads it: dB of the linear mean per
    band, one VV and one VH per acquisition, no negative means."""
    response = get(client, basic(alice.username), f"pid=f1&tstype=bs&tsformat=csv&{WINDOW}")
    assert 'filename="timeseries_sx2019_f1_bs.csv"' in response["Content-Disposition"]
    df = pd.read_csv(io.StringIO(response.content.decode()))
    df["date"] = pd.to_datetime(df["date_part"], unit="s")
    df = df[df["mean"] >= 0]
    vv = df[df.band == "VVb"].set_index("date")["mean"]
    vh = df[df.band == "VHb"].set_index("date")["mean"]
    assert list(vv.index) == list(vh.index) and len(vv) == 2
    db = 10 * np.log10(vv)
    assert ((db > -25) & (db < -1)).all()


def test_s1_rows_for_the_markers(s1_catalogue: S1Archive, s1_parcels: dict) -> None:
    parcel = Parcel.objects.get(pid="f1")
    rows = s1_rows(parcel, dt.date(2019, 12, 1), dt.date(2019, 12, 31))
    assert [(r.kind, r.orbit_direction) for r in rows] == [
        ("bs", "ASCENDING"), ("c6", "ASCENDING"), ("bs", "DESCENDING")]  # fmt: skip
    bs = rows[0]
    vv = parcel_values(s1_catalogue.vv, s1_parcels["f1"], nodata=PC_NODATA)
    assert bs.vv == pytest.approx(vv.mean(), rel=1e-6) and bs.count == vv.size
    assert rows[1].second_date == dt.datetime(2019, 12, 21, 0, 43, 41, tzinfo=dt.UTC)
