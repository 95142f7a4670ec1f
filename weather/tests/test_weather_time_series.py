"""GET /query/weatherTimeSeries: the cell containing the parcel's centroid (the finer grid
where two are loaded), values against an independent xarray reading, the CSV the CbM client
saves, windows, no data, and the AOI rules."""

from __future__ import annotations

import io
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from django.core.management import call_command
from django.test import Client

from parcels.models import Parcel
from testing.auth import BasicAuth, basic

pytestmark = pytest.mark.django_db
URL = "/query/weatherTimeSeries?aoi=nl&year=2024&pid=f1"


def load(path: Path) -> None:
    call_command("load_weather", str(path), stdout=StringIO(), stderr=StringIO())


def test_series_of_the_cell_containing_the_centroid(
    client: Client, auth: BasicAuth, parcel: Parcel, hourly_file: Path
) -> None:
    load(hourly_file)
    response = client.get(f"{URL}&start_date=2024-05-10&end_date=2024-05-12", **auth)
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert list(body) == ["meteo_date", "tmin", "tmax", "tmean", "prec"]
    assert body["meteo_date"] == ["2024-05-10", "2024-05-11", "2024-05-12"]
    # The centroid 6.05 E 52.61 N: the ERA5 point 6.0 E 52.5 N is the nearest (0.25 deg grid).
    with xr.open_dataset(hourly_file) as ds:
        cell = ds.sel(longitude=6.0, latitude=52.5)
        t = cell["t2m"].sel(valid_time=slice("2024-05-10", "2024-05-12T23:00")).values - 273.15
        tp = cell["tp"].sel(valid_time=slice("2024-05-10T01:00", "2024-05-13T00:00")).values
    t = t.reshape(3, 24)
    np.testing.assert_allclose(body["tmin"], t.min(axis=1), atol=1e-3)
    np.testing.assert_allclose(body["tmax"], t.max(axis=1), atol=1e-3)
    np.testing.assert_allclose(body["tmean"], t.mean(axis=1), atol=1e-3)
    np.testing.assert_allclose(body["prec"], tp.reshape(3, 24).sum(axis=1) * 1000, atol=1e-3)


def test_all_days_and_the_csv(
    client: Client, auth: BasicAuth, parcel: Parcel, hourly_file: Path
) -> None:
    load(hourly_file)
    body = json.loads(client.get(URL, **auth).content)
    assert len(body["meteo_date"]) == 31 and body["meteo_date"] == sorted(body["meteo_date"])
    response = client.get(f"{URL}&tsformat=csv", **auth)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="timeseries_nl2024_f1_WeatherTS.csv"' in response["Content-Disposition"]
    df = pd.read_csv(io.StringIO(response.content.decode()))  # as the CbM client reads it
    assert list(df.columns) == ["meteo_date", "tmin", "tmax", "tmean", "prec"]
    assert len(df) == 31
    np.testing.assert_allclose(df["tmean"], body["tmean"])


def test_the_finer_grid_wins(
    client: Client, auth: BasicAuth, parcel: Parcel, hourly_file: Path, tmp_path: Path
) -> None:
    load(hourly_file)
    with xr.open_dataset(hourly_file) as ds:
        fine = (
            ds.sel(longitude=[6.0, 6.0], latitude=[52.5, 52.5])
            .assign_coords(longitude=[6.0, 6.1], latitude=[52.7, 52.6])
            .load()
        )
    fine["t2m"] = fine["t2m"] + 5.0  # tell them apart
    fine.attrs["history"] = "reanalysis-era5-land"
    path = tmp_path / "land.nc"
    fine.to_netcdf(path)
    load(path)
    body = json.loads(
        client.get(f"{URL}&start_date=2024-05-02&end_date=2024-05-02", **auth).content
    )
    with xr.open_dataset(path) as ds:
        t = ds["t2m"].sel(longitude=6.1, latitude=52.6, valid_time="2024-05-02").values - 273.15
    assert body["tmean"] == [pytest.approx(float(t.mean()), abs=1e-3)]


def test_no_data_and_errors(
    client: Client, auth: BasicAuth, parcel: Parcel, bob_auth: BasicAuth
) -> None:
    body = json.loads(client.get(URL, **auth).content)
    assert body == {"meteo_date": [], "tmin": [], "tmax": [], "tmean": [], "prec": []}
    bad = client.get(f"{URL}&start_date=2024-06-02&end_date=2024-06-01", **auth)
    assert bad.status_code == 400 and json.loads(bad.content)["param"] == "start_date"
    bad = client.get(f"{URL}&tsformat=xls", **auth)
    assert bad.status_code == 400 and json.loads(bad.content)["param"] == "tsformat"
    # Outside the caller's AOIs: 403 for a parcel that exists and one that does not alike.
    other = client.get(URL, **bob_auth)
    none = client.get(URL.replace("pid=f1", "pid=nope"), **bob_auth)
    assert other.status_code == none.status_code == 403
    assert json.loads(other.content) == json.loads(none.content)
    assert client.get(URL).status_code == 401


@pytest.fixture
def bob_auth(bob: object) -> BasicAuth:
    return basic("bob")
