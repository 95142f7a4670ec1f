"""The parcel's chip page shows the default source's image of the chip's square with the
parcel outlined and the attribution, and the rain and temperature of the parcel's cell on
the season's date axis (the panels of background.web.panel and weather.web.panel)."""

from __future__ import annotations

import datetime as dt
import io
import re
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from background.models import BackgroundSource
from background.tests.test_background_file import download
from demo.generator.era5_like import write_era5_like
from parcels.models import Parcel
from testing.auth import BasicAuth
from weather.models import WeatherDay

pytestmark = pytest.mark.django_db
PAGE = (
    "/query/chipsByParcelID?aoi=nl&year=2024&pid=f1&start_date=2024-05-01"
    "&end_date=2024-05-31&chipsize=320"
)


def test_background_and_weather_on_the_parcel_page(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, parcel: Parcel,
    tmp_path: Path,
) -> None:  # fmt: skip
    era5 = write_era5_like(tmp_path / "w.nc", west=5.5, south=52.25, east=6.5, north=53.0,
                           start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 31))  # fmt: skip
    call_command("load_weather", str(era5), stdout=StringIO(), stderr=StringIO())
    page = client.get(PAGE, HTTP_ACCEPT="text/html", **auth)
    assert page.status_code == 200
    html = page.content.decode()
    src = re.search(r'<img id="parcel-background" src="([^"]+)"', html)
    assert src and src.group(1).endswith("/ortho.png")
    assert "(c) test agency 2024" in html
    image = np.asarray(Image.open(io.BytesIO(download(src.group(1)))))
    assert image.shape == (256, 256, 3)
    # The 60 x 40 m (EPSG:3857) outline over 320 m of ground = 320 / cos(lat) m of 3857.
    yellow = (image == (255, 255, 0)).all(axis=-1)
    cols = np.flatnonzero(yellow.any(axis=0))
    scale = 256 / (320 / np.cos(np.radians(parcel.centroid.y)))
    assert abs((cols.max() - cols.min()) - 60 * scale) <= 3
    # The weather: one bar per rainy day of the window, on the season's axis.
    assert 'id="weather-chart"' in html
    rainy = WeatherDay.objects.filter(
        cell__lon=6.0, cell__lat=52.5, prec__gt=0, meteo_date__range=("2024-05-01", "2024-05-31")
    ).count()
    assert html.count('<rect class="rain"') == rainy > 0
    assert html.count('<polyline class="tmean"') == 1


def test_no_panels_without_a_source_or_weather(
    client: Client, auth: BasicAuth, parcel: Parcel
) -> None:
    html = client.get(PAGE, HTTP_ACCEPT="text/html", **auth).content.decode()
    assert "parcel-background" not in html and "weather-chart" not in html


def test_a_failing_source_does_not_break_the_page(
    client: Client, auth: BasicAuth, parcel: Parcel, chip_store: Path, tile_cache: Path
) -> None:
    BackgroundSource.objects.create(name="Gone", kind="file", url="/no/such/ortho.tif",
                                    is_default=True, attribution="nobody")  # fmt: skip
    page = client.get(PAGE, HTTP_ACCEPT="text/html", **auth)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="parcel-background-error"' in html and "&#x27;Gone&#x27; failed" in html
