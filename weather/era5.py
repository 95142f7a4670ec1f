"""ERA5 / ERA5-Land single-level NetCDF (as the Copernicus Climate Data Store delivers it)
to daily values per grid point: tmin, tmax, tmean (degrees C), prec (mm per day).

Plain Python on xarray + netCDF4 (no Django): weather.load writes what this returns.

- Days are UTC days. Hourly temperature: a day counts once its 24 hours (00..23 UTC) are in
  the files; min, max and mean of those hours.
- Precipitation is an accumulation, and the two datasets accumulate differently (ECMWF,
  "ERA5: data documentation" and "ERA5-Land: data documentation", section "accumulations"):
  ERA5 hourly `tp` at time T is the total over the hour ending at T, so day D is the sum of
  D 01:00 .. D+1 00:00; ERA5-Land `tp` is accumulated since 00 UTC, so day D's total is the
  value at D+1 00:00. Which dataset a file is comes from its metadata (a CF `cell_methods`
  on `tp` where present, else the dataset the global attributes name, else the grid:
  0.1 deg is ERA5-Land's, 0.25 deg ERA5's), or from --grid; never guessed from the values.
- Daily-statistics files (one value per day) give the statistic of each variable in its
  CF `cell_methods` (`time: minimum` ...), or by name (`mn2t`, `mx2t`).
- Several files are read as one series (consecutive months: the last hour of one month's
  last day is in the next file). A file that cannot be read whole is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

GRIDS = ("era5", "era5-land")
NATIVE_RESOLUTION = {"era5": 0.25, "era5-land": 0.1}
COLUMNS = ("tmin", "tmax", "tmean", "prec")
HOUR = np.timedelta64(1, "h")
DAY = np.timedelta64(1, "D")
KELVIN = 273.15


class WeatherFileError(Exception):
    """A file that is not ERA5-like NetCDF, or cannot be read whole: nothing is loaded."""


@dataclass(frozen=True)
class DailyGrid:
    """Daily values on a regular grid: values[column] is (day, lat, lon), NaN where the
    files do not cover that day whole (or a sea point of ERA5-Land)."""

    grid: str
    resolution: float
    lons: np.ndarray
    lats: np.ndarray
    dates: list[dt.date]
    values: dict[str, np.ndarray]
    hourly: bool


def _open(path: Path) -> xr.Dataset:
    try:
        ds = xr.open_dataset(path, engine="netcdf4", decode_timedelta=False)
        # Read every value now: a truncated file fails here, before anything is written.
        return ds.load()
    except Exception as exc:  # netCDF4/HDF5 raise many kinds (OSError, RuntimeError, ...)
        raise WeatherFileError(f"{path}: not a readable NetCDF file ({exc})") from exc


def _normalise(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """One naming whatever the CDS version: time, latitude, longitude; no ensemble member
    or expver dimension (ERA5T rows: the first value that is set)."""
    if "valid_time" in ds.dims or "valid_time" in ds.coords:
        ds = ds.rename({"valid_time": "time"})
    for old, new in (("lat", "latitude"), ("lon", "longitude")):
        if old in ds.dims:
            ds = ds.rename({old: new})
    missing = [d for d in ("time", "latitude", "longitude") if d not in ds.dims]
    if missing:
        raise WeatherFileError(f"{path}: no {', '.join(missing)} dimension")
    if "expver" in ds.dims:
        ds = ds.bfill("expver").isel(expver=0)
    for extra in ("number", "step", "surface", "height"):
        if extra in ds.dims:
            ds = ds.isel({extra: 0})
    if not any(v in ds.data_vars for v in ("t2m", "tp", "mn2t", "mx2t")):
        raise WeatherFileError(f"{path}: none of t2m, tp, mn2t, mx2t (ERA5 single levels)")
    if not np.issubdtype(ds["time"].dtype, np.datetime64):
        raise WeatherFileError(f"{path}: its time coordinate is not a date")
    return ds


def read_files(paths: Sequence[Path]) -> xr.Dataset:
    """The files as one dataset along time (each read whole first)."""
    parts = [_normalise(_open(p), p) for p in paths]
    if not parts:
        raise WeatherFileError("no file given")
    try:
        ds = (
            xr.concat(parts, dim="time", data_vars="all", join="exact")
            if len(parts) > 1
            else parts[0]
        )
    except ValueError as exc:
        raise WeatherFileError(f"the files are not on one grid: {exc}") from exc
    ds = ds.sortby("time")
    _, first = np.unique(ds["time"].values, return_index=True)
    return ds.isel(time=first)


def _resolution(coords: np.ndarray, name: str) -> float:
    steps = np.abs(np.diff(coords.astype(float)))
    if steps.size == 0:
        return 0.0
    if not np.allclose(steps, steps[0], atol=1e-4):
        raise WeatherFileError(f"{name} is not a regular grid")
    return round(float(steps[0]), 4)


def _named_dataset(ds: xr.Dataset) -> str | None:
    meta = " ".join(str(v) for v in ds.attrs.values()).lower()
    if re.search(r"era5[-_ ]?land", meta):
        return "era5-land"
    if "era5" in meta:
        return "era5"
    return None


def grid_of(ds: xr.Dataset, requested: str | None) -> tuple[str, float]:
    lat_res = _resolution(ds["latitude"].values, "latitude")
    lon_res = _resolution(ds["longitude"].values, "longitude")
    resolution = max(lat_res, lon_res)
    if requested:
        return requested, resolution or NATIVE_RESOLUTION[requested]
    named = _named_dataset(ds)
    if named:
        return named, resolution or NATIVE_RESOLUTION[named]
    for grid, native in NATIVE_RESOLUTION.items():
        if abs(resolution - native) < 1e-6:
            return grid, resolution
    raise WeatherFileError(
        f"cannot tell ERA5 from ERA5-Land (grid step {resolution} deg, no dataset named in "
        "the file's attributes): pass --grid era5 or --grid era5-land"
    )


def _celsius(var: xr.DataArray) -> np.ndarray:
    units = str(var.attrs.get("units", "")).strip()
    values = var.values.astype("float64")
    if units == "K":
        return values - KELVIN
    if units in ("C", "degC", "deg_C", "°C", "Celsius"):
        return values
    raise WeatherFileError(f"{var.name}: units {units!r}, expected K or degC")


def _millimetres(var: xr.DataArray) -> np.ndarray:
    units = str(var.attrs.get("units", "")).strip()
    values = var.values.astype("float64")
    if units == "m":
        return values * 1000.0
    if units in ("mm", "kg m**-2", "kg m-2"):
        return values
    raise WeatherFileError(f"tp: units {units!r}, expected m or mm")


def tp_since_midnight(ds: xr.Dataset, grid: str) -> bool:
    """True where `tp` is accumulated since 00 UTC (ERA5-Land), False where each hour holds
    its own hour (ERA5). A CF cell_methods on tp decides first."""
    methods = str(ds["tp"].attrs.get("cell_methods", "")).lower()
    if "sum" in methods and "1 hour" in methods.replace("hours", "hour"):
        return False
    return grid == "era5-land"


def _day_index(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    days = times.astype("datetime64[D]")
    unique = np.unique(days)
    return unique, days


def _hours(hours: dict[Any, int], start: np.datetime64, offsets: range) -> list[int] | None:
    """Indexes of the hours start + offsets, or None if one is missing."""
    found = [hours.get(start + h * HOUR) for h in offsets]
    return None if None in found else [i for i in found if i is not None]


def _hourly(ds: xr.Dataset, grid: str) -> tuple[list[np.datetime64], dict[str, np.ndarray]]:
    times = ds["time"].values.astype("datetime64[h]")
    hours = {t: i for i, t in enumerate(times)}
    all_days = np.unique(times.astype("datetime64[D]"))
    shape = (len(all_days), ds.sizes["latitude"], ds.sizes["longitude"])
    out = {c: np.full(shape, np.nan) for c in COLUMNS}
    t2m = _celsius(ds["t2m"]) if "t2m" in ds else None
    tp = _millimetres(ds["tp"]) if "tp" in ds else None
    since_midnight = tp is not None and tp_since_midnight(ds, grid)
    for k, day in enumerate(all_days):
        start = day.astype("datetime64[h]")
        if t2m is not None:
            idx = _hours(hours, start, range(24))
            if idx is not None:
                block = t2m[idx]
                out["tmin"][k] = block.min(axis=0)
                out["tmax"][k] = block.max(axis=0)
                out["tmean"][k] = block.mean(axis=0)
        if tp is not None:
            if since_midnight:
                last = hours.get(start + 24 * HOUR)
                if last is not None:
                    out["prec"][k] = tp[last]
            else:
                idx = _hours(hours, start, range(1, 25))
                if idx is not None:
                    out["prec"][k] = tp[idx].sum(axis=0)
    # Accumulations are never negative; ECMWF's packing leaves -1e-9 m here and there.
    np.clip(out["prec"], 0.0, None, out=out["prec"])
    return list(all_days), out


_STATISTIC = {"minimum": "tmin", "maximum": "tmax", "mean": "tmean"}


def _daily(ds: xr.Dataset) -> tuple[list[np.datetime64], dict[str, np.ndarray]]:
    days = ds["time"].values.astype("datetime64[D]")
    shape = (len(days), ds.sizes["latitude"], ds.sizes["longitude"])
    out = {c: np.full(shape, np.nan) for c in COLUMNS}
    by_name = {"mn2t": "tmin", "mx2t": "tmax"}
    for name, var in ds.data_vars.items():
        methods = str(var.attrs.get("cell_methods", "")).lower()
        if name in by_name:
            out[by_name[str(name)]] = _celsius(var)
        elif name == "t2m":
            stat = next((c for s, c in _STATISTIC.items() if f": {s}" in methods), None)
            if stat is None:
                raise WeatherFileError(
                    "daily t2m without cell_methods naming its statistic (time: mean, "
                    "time: minimum or time: maximum)"
                )
            out[stat] = _celsius(var)
        elif name == "tp":
            if ": sum" in methods:
                out["prec"] = _millimetres(var)
            elif ": mean" in methods:  # the mean of the hourly totals: 24 of them a day
                out["prec"] = _millimetres(var) * 24.0
            else:
                raise WeatherFileError("daily tp without cell_methods (time: sum or time: mean)")
    return list(days), out


def read_daily(paths: Sequence[Path], *, grid: str | None = None) -> DailyGrid:
    ds = read_files(paths)
    grid_name, resolution = grid_of(ds, grid)
    times = ds["time"].values
    step = np.median(np.diff(times)) if len(times) > 1 else DAY
    if step == HOUR:
        days, values = _hourly(ds, grid_name)
        hourly = True
    elif step == DAY:
        days, values = _daily(ds)
        hourly = False
    else:
        raise WeatherFileError(f"time step {step}: expected hourly or daily values")
    lons = ds["longitude"].values.astype("float64")
    lons = np.where(lons > 180.0, lons - 360.0, lons)  # ERA5 delivers 0..360 too
    return DailyGrid(
        grid=grid_name,
        resolution=resolution,
        lons=lons,
        lats=ds["latitude"].values.astype("float64"),
        dates=[d.astype(dt.date) for d in np.asarray(days, dtype="datetime64[D]")],
        values=values,
        hourly=hourly,
    )
