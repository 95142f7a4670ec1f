"""An ERA5-like hourly NetCDF (2 m temperature `t2m` in K, total precipitation `tp` in m)
as the Copernicus Climate Data Store delivers ERA5 single levels: `valid_time`, `latitude`
(north to south), `longitude`, 0.25 deg. Temperature has its seasonal and diurnal cycles
and weather noise; rain falls as storms of a few hours. Deterministic for a seed.

ERA5's accumulation convention: each hour's `tp` is the total of the hour ending then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr


def era5_like(
    *,
    west: float,
    south: float,
    east: float,
    north: float,
    start: dt.date,
    end: dt.date,
    step: float = 0.25,
    seed: int = 20,
) -> xr.Dataset:
    """Hourly values from start 00:00 to end+1 00:00 UTC (so `end` is a whole day)."""
    rng = np.random.default_rng(seed)
    lons = np.round(np.arange(np.floor(west / step) * step, east + step / 2, step), 4)
    lats = np.round(np.arange(np.ceil(north / step) * step, south - step / 2, -step), 4)
    times = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1),
                          freq="h")  # fmt: skip
    doy = times.day_of_year.to_numpy()
    hour = times.hour.to_numpy()
    # Seasonal: 3 C in late January to 18 C in late July; diurnal: +-4 C, warmest at 14 UTC.
    seasonal = 10.5 - 7.5 * np.cos(2 * np.pi * (doy - 25) / 365.25)
    diurnal = 4.0 * np.cos(2 * np.pi * (hour - 14) / 24)
    # Weather: a slow random walk shared by the area, plus a small gradient per cell.
    walk = np.cumsum(rng.normal(0, 0.25, len(times)))
    span = min(24 * 15, len(times))  # keep the walk near 0 over a fortnight
    walk -= np.convolve(walk, np.ones(span) / span, mode="same")
    base = seasonal + diurnal + walk
    grad = (lats[:, None] - lats.mean()) * -0.8 + (lons[None, :] - lons.mean()) * 0.3
    t2m = base[:, None, None] + grad[None] + rng.normal(0, 0.3, (len(times), *grad.shape))
    # Storms: about one every 4 days, 2..8 hours, 0.2..3 mm/h, moving over the area.
    tp = np.zeros((len(times), len(lats), len(lons)))
    for begin in np.flatnonzero(rng.random(len(times)) < 1 / 96):
        hours = int(rng.integers(2, 9))
        rate = rng.uniform(0.2, 3.0) / 1000.0  # m per hour
        cells = rng.random(grad.shape) < 0.8
        tp[begin : begin + hours] += rate * cells * rng.uniform(0.5, 1.5, grad.shape)
    ds = xr.Dataset(
        {
            "t2m": (
                ("valid_time", "latitude", "longitude"),
                (t2m + 273.15).astype("float32"),
                {"units": "K", "long_name": "2 metre temperature", "GRIB_paramId": 167},
            ),
            "tp": (
                ("valid_time", "latitude", "longitude"),
                tp.astype("float32"),
                {
                    "units": "m",
                    "long_name": "Total precipitation",
                    "GRIB_paramId": 228,
                    "GRIB_stepType": "accum",
                },
            ),
        },  # fmt: skip
        coords={"valid_time": times.to_numpy(), "latitude": lats, "longitude": lons},
        attrs={
            "GRIB_centre": "ecmf",
            "Conventions": "CF-1.7",
            "institution": "European Centre for Medium-Range Weather Forecasts",
            "history": "cbmweb demo: ERA5-like (reanalysis-era5-single-levels), synthetic",
        },
    )
    return ds


def write_era5_like(path: Path, **kwargs: object) -> Path:
    """Write era5_like(...) as NetCDF4 (temporary name, then renamed)."""
    ds = era5_like(**kwargs)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".part-{path.name}")
    encoding = {v: {"zlib": True, "complevel": 4} for v in ("t2m", "tp")}
    ds.to_netcdf(part, engine="netcdf4", encoding=encoding)
    part.replace(path)
    return path
