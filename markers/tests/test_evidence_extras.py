"""The evidence page's background image and rain: the caller's default background source
(a GeoTIFF orthophoto, the background app's test source) under the parcel's outline, and
the daily rain of the parcel's ERA5 cell (loaded by load_weather from an ERA5-like file),
checked against the weather table's own rows; the PDF embeds the same image. Without a
source the page has no background."""

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
from background.tests.conftest import ortho, ortho_source, parcel, tile_cache  # noqa: F401
from background.tests.test_background_file import download
from demo.generator.era5_like import write_era5_like
from markers.store import season_window
from parcels.models import Parcel
from testing.auth import BasicAuth
from weather.models import WeatherDay
from weather.series import cell_at

pytestmark = pytest.mark.django_db
PAGE = "/query/parcelEvidence?aoi=nl&year=2024&pid=f1"


def test_background_and_rain_on_the_evidence_page(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource,  # noqa: F811
    parcel: Parcel, tmp_path: Path,  # noqa: F811
) -> None:  # fmt: skip
    start, end = season_window(2024)
    era5 = write_era5_like(tmp_path / "w.nc", west=5.5, south=52.25, east=6.5, north=53.0,
                           start=start, end=end)  # fmt: skip
    call_command("load_weather", str(era5), stdout=StringIO(), stderr=StringIO())
    page = client.get(PAGE, HTTP_ACCEPT="text/html", **auth)
    assert page.status_code == 200
    html = page.content.decode()
    assert "style=" not in html.split("</style>", 1)[1]  # the CSP: no inline style attribute
    src = re.search(r'<figure class="background"><img src="([^"]+)"', html)
    assert src and src.group(1).endswith("/ortho.png")
    assert "(c) test agency 2024" in html
    image = np.asarray(Image.open(io.BytesIO(download(src.group(1)))))
    assert image.shape == (256, 256, 3) and (image == (255, 255, 0)).all(axis=-1).any()
    # Rain: one bar per rainy day of the cell holding the centroid, each with its millimetres.
    cell = cell_at(parcel.centroid)
    assert cell is not None
    days = WeatherDay.objects.filter(cell=cell, prec__gt=0, meteo_date__range=(start, end))
    rainy = {d.isoformat(): float(p or 0) for d, p in days.values_list("meteo_date", "prec")}
    shown = {d: float(mm) for d, mm in re.findall(
        r'<rect class="rain"[^>]* data-day="([^"]+)" data-mm="([^"]+)"', html)}  # fmt: skip
    assert rainy and shown.keys() == rainy.keys()
    assert all(abs(shown[d] - rainy[d]) < 1e-6 for d in rainy)
    # The PDF embeds the background image.
    pdf = client.get(PAGE + "&format=pdf", **auth)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.count(b"/Subtype /Image") >= 1
    # No source configured: no background, and the page still answers.
    BackgroundSource.objects.all().delete()
    html = client.get(PAGE, HTTP_ACCEPT="text/html", **auth).content.decode()
    assert 'class="background"' not in html and "<svg" in html
    assert dt.date.fromisoformat(next(iter(rainy))) >= start
