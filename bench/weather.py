"""Weather: load_weather throughput and the warm weatherTimeSeries, against baselines in the
same run.

    .venv/bin/python bench/weather.py [--work DIR] [--requests 300]

- load: a year (2024) of hourly ERA5-like t2m and tp over a 10 x 10 degree box at 0.25 deg
  (41 x 41 cells, 12 monthly files as the CDS delivers them; demo.generator.era5_like),
  loaded with `manage.py load_weather` (all files at once): rows (cell-days) per second;
  beside it the same daily aggregation done by pandas alone from the same files (the
  reading and arithmetic floor, no database).
- weatherTimeSeries p50, warm, in process (Django test client, HTTP Basic), a whole season
  of one parcel, against parcelByID of the same parcel (the lightest parcel endpoint).
Runs on DATABASE_URL if set (PostGIS), else SpatiaLite in the work folder.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def month_files(folder: Path) -> list[Path]:
    from demo.generator.era5_like import era5_like

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for month in range(1, 13):
        path = folder / f"era5_2024_{month:02d}.nc"
        paths.append(path)
        if path.exists():
            continue
        start = dt.date(2024, month, 1)
        end = dt.date(2024 + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        ds = era5_like(west=0.0, south=45.0, east=10.0, north=55.0, start=start, end=end,
                       seed=month)  # fmt: skip
        # The CDS's monthly file ends at the month's last hour, 23:00.
        ds = ds.isel(valid_time=slice(0, -1))
        encoding = {v: {"zlib": True, "complevel": 1} for v in ("t2m", "tp")}
        ds.to_netcdf(path, engine="netcdf4", encoding=encoding)
    return paths


def pandas_daily(paths: list[Path]) -> int:
    """The daily values by xarray/pandas alone: rows it would store."""
    import numpy as np
    import xarray as xr

    ds = xr.concat([xr.open_dataset(p).load() for p in paths], dim="valid_time")
    t = ds["t2m"] - 273.15
    daily = t.resample(valid_time="1D")
    tmin, tmax, tmean = daily.min(), daily.max(), daily.mean()
    shifted = ds["tp"].assign_coords(valid_time=ds["valid_time"].values - np.timedelta64(1, "h"))
    prec = (shifted * 1000).resample(valid_time="1D").sum()
    frame = xr.Dataset({"tmin": tmin, "tmax": tmax, "tmean": tmean, "prec": prec}).to_dataframe()
    return len(frame.dropna())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-weather")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    from bench.common import setup_django

    setup_django(work)
    import numpy as np
    from django.contrib.auth.models import User
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command
    from django.test import Client

    from parcels.models import Parcel, ParcelDataset
    from weather.models import WeatherCell

    call_command("migrate", verbosity=0)
    paths = month_files(work / "era5")
    WeatherCell.objects.filter(grid="era5").delete()
    began = time.perf_counter()
    out = StringIO()
    call_command("load_weather", *map(str, paths), stdout=out, stderr=StringIO())
    load_s = time.perf_counter() - began
    rows = int(out.getvalue().split(" cells, ")[1].split(" rows")[0])
    began = time.perf_counter()
    pandas_rows = pandas_daily(paths)
    pandas_s = time.perf_counter() - began

    geom = MultiPolygon(Polygon.from_bbox((5.01, 50.01, 5.02, 50.02)), srid=4326)
    dataset, _ = ParcelDataset.objects.get_or_create(
        aoi="zz", year=2024, ptype="", defaults={"srid": 4326, "source": "bench"}
    )
    shape = {"centroid": geom.centroid, "geom": geom, "geom_native": bytes(geom.wkb)}
    Parcel.objects.get_or_create(dataset=dataset, pid="w1", defaults={"area": 100, **shape})
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.set_password("bench-password")
    user.save()
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:bench-password").decode()}
    client = Client()
    series = ("/query/weatherTimeSeries?aoi=zz&year=2024&pid=w1&start_date=2024-04-01"
              "&end_date=2024-09-30")  # fmt: skip
    parcel = "/query/parcelByID?aoi=zz&year=2024&pid=w1"
    first = client.get(series, headers=auth).json()
    assert len(first["meteo_date"]) == 183, first
    for _ in range(20):
        client.get(series, headers=auth)
        client.get(parcel, headers=auth)
    a_times, b_times = [], []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        client.get(series, headers=auth)
        t1 = time.perf_counter()
        client.get(parcel, headers=auth)
        t2 = time.perf_counter()
        a_times.append(t1 - t0)
        b_times.append(t2 - t1)

    def p50(values: list[float]) -> float:
        return round(float(np.median(values)) * 1000, 2)

    print(json.dumps({
        "load_rows": rows, "load_s": round(load_s, 1), "rows_per_s": round(rows / load_s),
        "pandas_rows": pandas_rows, "pandas_s": round(pandas_s, 1),
        "weather_p50_ms": p50(a_times), "parcel_by_id_p50_ms": p50(b_times),
        "database": os.environ.get("DATABASE_URL", "").split(":")[0],
        "load": [round(x, 2) for x in os.getloadavg()],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
