"""The parcel's season on the chipsByParcelID page: one SVG point per acquisition, NDVI
from the harmonised B08/B04 means, clear or cloudy from the parcel's SCL pixels, each
point linking to its chip; computed independently from the source files."""

from __future__ import annotations

import datetime as dt
import re
import time

import numpy as np
import pytest
import shapely
from django.test import Client

from chips.models import Scene
from chips.tests.signatures.conftest import WedgeMaker, expected_stats
from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db(transaction=True)  # the page's job runs in a thread
POINT = re.compile(
    r'(?:<a href="#(\w+)">)?<g class="point" data-date="(\w+)"><title>([^<]*)</title>'
    r'.*?<circle class="(clear|cloudy)"'
)


def page(client: Client, url: str, auth: BasicAuth) -> str:
    """The page once its chips are all made (its JSON says when)."""
    deadline = time.monotonic() + 30
    while client.get(f"{url}&format=json", **auth).json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    response = client.get(url, HTTP_ACCEPT="text/html", **auth)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_season_chart_of_the_parcel(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth,
) -> None:  # fmt: skip
    scenes = [
        extra_scene(sensing=dt.datetime(2024, 8, d, 10, 40, 31, tzinfo=dt.UTC), seed=50 + d,
                    nir=True, baseline=b, offset=o)
        for d, b, o in ((2, "02.12", 0), (7, "05.11", -1000), (12, "05.11", -1000))
    ]  # fmt: skip
    url = ("/query/chipsByParcelID?aoi=zz&year=2024&pid=inA&start_date=2024-08-01"
           "&end_date=2024-08-31&bands=B08_B04_B04")  # fmt: skip
    html = page(client, url, auth)
    assert "<svg" in html and 'id="season-chart"' in html and "http" not in html.split(
        'id="season-chart"')[1].split("</svg>")[0]  # fmt: skip
    points = POINT.findall(html)
    assert [p[1] for p in points] == [s.sensing_key for s in scenes]
    shares = []
    for (link, key, title, klass), scene in zip(points, scenes, strict=True):

        def mean(band: str, s: Scene = scene) -> float:
            values = expected_stats(s.assets.get(band=band).href, parcels["inA"], s.epsg)
            return float(values.astype(np.float64).mean()) + s.radiometric_offset

        nir, red = mean("B08"), mean("B04")
        assert f"NDVI {round((nir - red) / (nir + red), 3)} ±" in title
        scl = expected_stats(scene.assets.get(band="SCL").href, parcels["inA"], scene.epsg)
        share = 100 * np.isin(scl, (4, 5, 6, 7)).sum() / scl.size
        shares.append(share)
        assert f"{round(share, 1)} % clear" in title
        assert klass == ("clear" if share >= 50 else "cloudy")
        assert link == key  # the point links to its chip ...
        assert f'id="{key}"' in html  # ... which is on the page
    # The min_clear control narrows the chips (and keeps the page's other parameters).
    assert 'name="min_clear"' in html and 'name="bands" value="B08_B04_B04"' in html
    threshold = sorted(shares)[1]
    narrowed = POINT.findall(page(client, f"{url}&min_clear={threshold}", auth))
    assert [p[1] for p in narrowed] == [s.sensing_key for s in scenes]  # every date drawn
    for (link, key, _title, klass), share in zip(narrowed, shares, strict=True):
        clear = share >= threshold
        assert klass == ("clear" if clear else "cloudy")
        assert link == (key if clear else "")  # only the clear dates have a chip
