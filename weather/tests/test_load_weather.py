"""load_weather against an independent xarray reading of the same file: daily min/max/mean
of the 24 hourly t2m values of each UTC day in degrees C, and the day's precipitation in mm
per ERA5's accumulation convention (hour ending at the time stamp) or ERA5-Land's (since
00 UTC). First and last days of a file; a corrupt file loads nothing; a repeat is a no-op."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from django.core.management import CommandError, call_command

from demo.generator.era5_like import write_era5_like
from weather.models import WeatherCell, WeatherDay
from weather.tests.conftest import BOX

pytestmark = pytest.mark.django_db


def expected_era5(path: Path) -> pd.DataFrame:
    """Per (lon, lat, day): tmin/tmax/tmean of hours 00..23 and prec of hours 01..24."""
    with xr.open_dataset(path) as ds:
        t = (ds["t2m"].astype("float64") - 273.15).to_dataframe().reset_index()
        tp = (ds["tp"].astype("float64") * 1000).to_dataframe().reset_index()
    t["day"] = t["valid_time"].dt.floor("D")
    temps = t.groupby(["longitude", "latitude", "day"])["t2m"].agg(["min", "max", "mean", "count"])
    tp["day"] = (tp["valid_time"] - pd.Timedelta(hours=1)).dt.floor("D")
    prec = tp.groupby(["longitude", "latitude", "day"])["tp"].agg(["sum", "count"])
    prec.columns = ["sum", "count_p"]
    return temps.join(prec, how="outer")


def stored() -> pd.DataFrame:
    rows = WeatherDay.objects.values_list(
        "cell__lon", "cell__lat", "meteo_date", "tmin", "tmax", "tmean", "prec"
    )
    df = pd.DataFrame(list(rows), columns=["longitude", "latitude", "day", "tmin", "tmax",
                                           "tmean", "prec"])  # fmt: skip
    df["day"] = pd.to_datetime(df["day"])
    return df.set_index(["longitude", "latitude", "day"]).sort_index()


def test_hourly_era5_daily_values(hourly_file: Path) -> None:
    out = StringIO()
    call_command("load_weather", str(hourly_file), stdout=out, stderr=StringIO())
    assert "era5: 32 days (2024-05-01..2024-06-01)" in out.getvalue()
    got = stored()
    want = expected_era5(hourly_file)
    lons = np.arange(5.5, 6.51, 0.25)
    lats = np.arange(52.25, 53.01, 0.25)
    assert WeatherCell.objects.filter(grid="era5", resolution=0.25).count() == len(lons) * len(lats)
    # June 1 has only its 00:00 hour: no day stored for it.
    days = sorted(got.index.get_level_values("day").unique())
    assert days[0] == pd.Timestamp("2024-05-01") and days[-1] == pd.Timestamp("2024-05-31")
    assert len(got) == 31 * len(lons) * len(lats)
    whole = want[want["count"] == 24]
    joined = got.join(whole, how="inner")
    assert len(joined) == len(got)
    np.testing.assert_allclose(joined["tmin"], joined["min"], atol=1e-3)
    np.testing.assert_allclose(joined["tmax"], joined["max"], atol=1e-3)
    np.testing.assert_allclose(joined["tmean"], joined["mean"], atol=1e-3)
    # Precipitation: every day of May has its 24 hours (01:00 .. next 00:00) in the file,
    # the last one too (the file ends at June 1 00:00).
    np.testing.assert_allclose(joined["prec"], joined["sum"], atol=1e-3)
    assert (joined["count_p"] == 24).all()
    assert joined["prec"].sum() > 10  # it rained
    # Temperatures in degrees C, not K.
    assert -10 < joined["tmean"].mean() < 30


def test_last_day_without_its_last_hour_has_no_precipitation(tmp_path: Path) -> None:
    whole = write_era5_like(tmp_path / "a.nc", start=dt.date(2024, 7, 1),
                            end=dt.date(2024, 7, 3), **BOX)  # fmt: skip
    ds = xr.open_dataset(whole)
    cut = tmp_path / "cut.nc"
    ds.isel(valid_time=slice(0, 72)).to_netcdf(cut)  # July 1 00:00 .. July 3 23:00
    ds.close()
    call_command("load_weather", str(cut), stdout=StringIO(), stderr=StringIO())
    last = WeatherDay.objects.filter(meteo_date=dt.date(2024, 7, 3))
    assert last.count() > 0 and all(d.prec is None and d.tmean is not None for d in last)
    assert WeatherDay.objects.filter(meteo_date=dt.date(2024, 7, 2), prec__isnull=True).count() == 0
    # Loading the whole file afterwards completes July 3; nothing is duplicated.
    call_command("load_weather", str(tmp_path / "a.nc"), stdout=StringIO(), stderr=StringIO())
    assert WeatherDay.objects.filter(prec__isnull=True, meteo_date__lt="2024-07-04").count() == 0


def test_repeat_load_changes_nothing(hourly_file: Path) -> None:
    call_command("load_weather", str(hourly_file), stdout=StringIO(), stderr=StringIO())
    before = stored()
    call_command("load_weather", str(hourly_file), stdout=StringIO(), stderr=StringIO())
    pd.testing.assert_frame_equal(before, stored())


def test_era5_land_accumulates_since_midnight(tmp_path: Path) -> None:
    """ERA5-Land at 0.1 deg: tp is the total since 00 UTC; the day's total is the value at
    the next 00:00."""
    times = pd.date_range("2024-06-01", "2024-06-03", freq="h")
    rng = np.random.default_rng(3)
    hourly_mm = rng.uniform(0, 0.5, (len(times), 2, 2))
    # Accumulate within each forecast day: 01:00 .. 00:00 of the next day.
    acc = np.zeros_like(hourly_mm)
    for i, t in enumerate(times):
        step = (t.hour - 1) % 24  # 01:00 -> 0 ... 00:00 -> 23
        acc[i] = hourly_mm[i - step : i + 1].sum(axis=0) if i >= step else np.nan
    ds = xr.Dataset(
        {
            "t2m": (
                ("valid_time", "latitude", "longitude"),
                np.full(acc.shape, 290.0),
                {"units": "K"},
            ),
            "tp": (("valid_time", "latitude", "longitude"), acc / 1000.0, {"units": "m"}),
        },  # fmt: skip
        coords={"valid_time": times, "latitude": [52.7, 52.6], "longitude": [6.0, 6.1]},
        attrs={"history": "reanalysis-era5-land, CDS"},
    )
    path = tmp_path / "land.nc"
    ds.to_netcdf(path)
    out = StringIO()
    call_command("load_weather", str(path), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("era5-land")
    day = WeatherDay.objects.get(cell__lon=6.1, cell__lat=52.6, meteo_date="2024-06-01")
    want = hourly_mm[1:25, 1, 1].sum()  # June 1 01:00 .. June 2 00:00
    assert day.prec == pytest.approx(want, abs=1e-3)
    assert day.tmean == pytest.approx(16.85, abs=1e-3)
    assert WeatherCell.objects.get(lon=6.1, lat=52.6).resolution == pytest.approx(0.1)


def test_corrupt_file_loads_nothing(hourly_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nc"
    data = hourly_file.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="nothing loaded"):
        call_command("load_weather", str(hourly_file), str(broken), stdout=StringIO(),
                     stderr=StringIO())  # fmt: skip
    assert WeatherDay.objects.count() == 0 and WeatherCell.objects.count() == 0


def test_not_era5_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.nc"
    xr.Dataset({"foo": (("x",), [1.0])}).to_netcdf(path)
    with pytest.raises(CommandError, match="no time, latitude, longitude dimension"):
        call_command("load_weather", str(path), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_weather", str(tmp_path / "none.nc"), stdout=StringIO())


def test_daily_statistics_files_one_statistic_each(tmp_path: Path) -> None:
    """The CDS's daily statistics deliver one statistic per file, named in cell_methods:
    loaded one after the other, each fills its own column and keeps the others."""
    days = pd.date_range("2024-08-01", "2024-08-05", freq="D")
    rng = np.random.default_rng(5)
    coords = {"valid_time": days, "latitude": [52.75, 52.5], "longitude": [6.0, 6.25]}
    shape = (len(days), 2, 2)
    kelvin = {stat: 285 + rng.normal(0, 3, shape) for stat in ("mean", "minimum", "maximum")}
    rain = rng.uniform(0, 0.01, shape)  # m a day
    for stat, values in kelvin.items():
        attrs = {"units": "K", "cell_methods": f"valid_time: {stat}"}
        xr.Dataset(
            {"t2m": (("valid_time", "latitude", "longitude"), values, attrs)}, coords=coords
        ).to_netcdf(tmp_path / f"t2m_{stat}.nc")
    xr.Dataset(
        {"tp": (("valid_time", "latitude", "longitude"), rain,
                {"units": "m", "cell_methods": "valid_time: sum"})},
        coords=coords,
    ).to_netcdf(tmp_path / "tp_sum.nc")  # fmt: skip
    for name in ("t2m_mean", "t2m_minimum", "t2m_maximum", "tp_sum"):
        call_command("load_weather", str(tmp_path / f"{name}.nc"), stdout=StringIO(),
                     stderr=StringIO())  # fmt: skip
    day = WeatherDay.objects.get(cell__lon=6.25, cell__lat=52.5, meteo_date="2024-08-03")
    assert day.tmean == pytest.approx(kelvin["mean"][2, 1, 1] - 273.15, abs=1e-3)
    assert day.tmin == pytest.approx(kelvin["minimum"][2, 1, 1] - 273.15, abs=1e-3)
    assert day.tmax == pytest.approx(kelvin["maximum"][2, 1, 1] - 273.15, abs=1e-3)
    assert day.prec == pytest.approx(rain[2, 1, 1] * 1000, abs=1e-3)
    assert WeatherDay.objects.count() == 5 * 4
    unnamed = tmp_path / "unnamed.nc"
    xr.Dataset(
        {"t2m": (("valid_time", "latitude", "longitude"), kelvin["mean"], {"units": "K"})},
        coords=coords,
    ).to_netcdf(unnamed)
    with pytest.raises(CommandError, match="cell_methods"):
        call_command("load_weather", str(unnamed), stdout=StringIO(), stderr=StringIO())
