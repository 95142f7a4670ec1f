"""The demo: its orthophoto is the default background source, its ERA5-like weather is
loaded; the CbM client's background and weather calls work on a demo parcel. The image
against an independent read of the orthophoto (GDAL's warper from the national CRS)."""

from __future__ import annotations

import io
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from rasterio.enums import Resampling
from rasterio.warp import reproject

from background.models import BackgroundSource
from background.tests.test_background_file import download
from parcels.models import Parcel
from testing.auth import basic

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_background_and_weather(
    demo_archive: Path, chip_store: Path, settings: object, tmp_path: Path
) -> None:
    settings.BACKGROUND_TILE_CACHE = tmp_path / "tiles"  # type: ignore[attr-defined]
    call_command("demo_setup", archive=demo_archive, stdout=StringIO())
    source = BackgroundSource.objects.get(is_default=True)
    assert source.name == "Ortho" and Path(source.url).is_file()
    demo = User.objects.get(username="demo")
    demo.set_password("s3cret-pass")
    demo.save()
    auth = basic("demo", "s3cret-pass")
    client = Client()
    info = json.loads(client.get("/query/info", **auth).content)
    aoi = next(iter(info["aois"]))
    year = info["aois"][aoi]["years"][0]
    pid = info["aois"][aoi][f"id_examples_{year}"][0]
    assert info["backgrounds"][0]["name"] == "Ortho" and info["backgrounds"][0]["default"]

    url = (
        f"/query/backgroundByParcelID?aoi={aoi}&year={year}&pid={pid}&chipsize=256&extend=256"
        "&iformat=tif"
    )
    link = client.get(url, **auth).content.decode()
    assert link.endswith("/ortho.tif")
    with rasterio.MemoryFile(download(link)) as mem, mem.open() as tif:
        got, transform = tif.read(), tif.transform
        assert tif.crs.to_epsg() == 3857 and tif.tags()["SOURCE"] == "Ortho"
    with rasterio.open(source.url) as src:
        want = np.zeros_like(got)
        reproject(src.read(), want, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs="EPSG:3857",
                  resampling=Resampling.bilinear)  # fmt: skip
    assert got.mean() > 20  # the parcel is in the orthophoto, not in the black around it
    # 256 m over 256 px is ~0.6 m of ground a pixel on 0.5 m source pixels: near-native.
    assert np.abs(got.astype(int) - want).mean() < 4

    weather = client.get(
        f"/query/weatherTimeSeries?aoi={aoi}&year={year}&pid={pid}&tsformat=csv", **auth
    )
    df = pd.read_csv(io.StringIO(weather.content.decode()))
    manifest = json.loads((demo_archive / "demo.json").read_text())
    assert df["meteo_date"].iloc[0] == manifest["start"]
    assert df["meteo_date"].iloc[-1] == manifest["end"]
    assert df["tmean"].between(-5, 35).all() and (df["prec"] >= 0).all()
    assert Parcel.objects.filter(pid=pid).exists()
