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
        # Its badge says the parcel's own SCL share (not the chip's), cloud and cirrus apart.
        cell = html.split(f'id="{key}"', 1)[1].split("</td>", 1)[0]
        badge = re.search(r'data-sky="([\d.]+)"[^>]*>parcel clear (\d+) %', cell)
        assert badge and float(badge.group(1)) == round(share, 1)
        assert int(badge.group(2)) == round(share)
        for name, classes in (("cloud", (8, 9)), ("cirrus", (10,)), ("shadow", (3,))):
            part = 100 * np.isin(scl, classes).sum() / scl.size
            if part >= 0.5:
                assert f"{name} {part:.0f} %" in cell
    assert "parcel clear = share of the parcel's own SCL pixels" in html
    assert "sensing date (UTC)" in html and ">NDVI</text>" in html  # labelled axes
    # The min_clear control narrows the chips (and keeps the page's other parameters).
    assert 'name="min_clear"' in html and 'name="bands" value="B08_B04_B04"' in html
    threshold = sorted(shares)[1]
    narrowed = POINT.findall(page(client, f"{url}&min_clear={threshold}", auth))
    assert [p[1] for p in narrowed] == [s.sensing_key for s in scenes]  # every date drawn
    for (link, key, _title, klass), share in zip(narrowed, shares, strict=True):
        clear = share >= threshold
        assert klass == ("clear" if clear else "cloudy")
        assert link == (key if clear else "")  # only the clear dates have a chip


def test_date_axis_ticks_days_on_short_windows_months_on_long() -> None:
    from chips.web.season import date_ticks

    three_weeks = date_ticks(dt.date(2024, 4, 1), dt.date(2024, 4, 21))
    days = [d for d, _ in three_weeks]
    assert days[0] == dt.date(2024, 4, 1) and all(d <= dt.date(2024, 4, 21) for d in days)
    assert (
        4 <= len(days) <= 9
        and len({(b - a).days for a, b in zip(days, days[1:], strict=False)}) == 1
    )
    assert three_weeks[0][1] == "01 Apr"
    season = date_ticks(dt.date(2024, 3, 15), dt.date(2024, 10, 31))
    assert [label for _, label in season] == ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]


def test_same_stretch_for_all_dates_is_the_median_of_the_clear_chips(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth,
) -> None:  # fmt: skip
    import statistics

    for d, sky in ((3, 4), (8, None), (13, 4)):  # two clear dates, one mixed
        extra_scene(sensing=dt.datetime(2024, 8, d, 10, 40, 31, tzinfo=dt.UTC), seed=70 + d,
                    nir=True, baseline="05.11", offset=-1000, scl=sky)  # fmt: skip
    url = ("/query/chipsByParcelID?aoi=zz&year=2024&pid=inA&start_date=2024-08-01"
           "&end_date=2024-08-31&bands=B08_B04_B04")  # fmt: skip
    page(client, url, auth)  # every chip made; then the page as a reader opens it
    html = page(client, url, auth)
    items = client.get(f"{url}&format=json", **auth).json()["items"]
    assert html.count('<img id="') == 3 and all(i["stretch"] for i in items)
    clear = {k for k, v in re.findall(r'id="(\w+)" src=[^>]*>.*?data-sky="([\d.]+)"', html)
             if float(v) >= 90}  # fmt: skip
    limits: dict[str, list[tuple[float, float]]] = {}
    for item in items:
        if item["id"] in clear:
            for part in item["stretch"].split():
                band, _, values = part.partition(":")
                lo, hi = values.split("-")
                limits.setdefault(band, []).append((float(lo), float(hi)))
    link = re.search(r'href="([^"]+)" id="stretch-switch">([^<]+)<', html)
    assert len(clear) == 2
    assert link and link.group(2) == "Same stretch for all dates"
    found = re.search(r"lut=([\d_]+)", link.group(1).replace("&amp;", "&"))
    assert found
    lut = found.group(1)
    expected = []
    for band in ("B08", "B04", "B04"):
        expected += [statistics.median(p[0] for p in limits[band]),
                     statistics.median(p[1] for p in limits[band])]  # fmt: skip
    assert [float(v) for v in lut.split("_")] == [round(v) for v in expected]
    # The legend of that page says reflectance, for every date (offset -1000 here).
    fixed = page(client, f"{url.replace('bands=', f'lut={lut}&bands=')}", auth)
    lo = (round(expected[0]) - 1000) / 1e4
    assert f"reflectance {lo:.3f} to" in fixed and "Stretch each chip on its own" in fixed


def test_season_without_standard_deviations(
    client: Client, parcels: dict[str, shapely.Polygon], extra_scene: WedgeMaker,
    auth: BasicAuth,
) -> None:  # fmt: skip
    """Signature rows stored without a standard deviation (a bulk path or rows built by
    hand): the page still answers, each date drawn at its NDVI without an error bar."""
    from chips.models import Signature

    scenes = [
        extra_scene(sensing=dt.datetime(2024, 8, d, 10, 40, 31, tzinfo=dt.UTC), seed=90 + d,
                    nir=True, baseline="05.11", offset=-1000)
        for d in (4, 9)
    ]  # fmt: skip
    url = ("/query/chipsByParcelID?aoi=zz&year=2024&pid=inA&start_date=2024-08-01"
           "&end_date=2024-08-31&bands=B08_B04_B04")  # fmt: skip
    page(client, url, auth)  # the signatures are extracted with the chips
    assert Signature.objects.filter(parcel__pid="inA", std__isnull=False).exists()
    Signature.objects.filter(parcel__pid="inA").update(std=None)
    html = page(client, url, auth)
    points = POINT.findall(html)
    assert [p[1] for p in points] == [s.sensing_key for s in scenes]
    for (_link, _key, title, _klass), scene in zip(points, scenes, strict=True):

        def mean(band: str, s: Scene = scene) -> float:
            values = expected_stats(s.assets.get(band=band).href, parcels["inA"], s.epsg)
            return float(values.astype(np.float64).mean()) + s.radiometric_offset

        nir, red = mean("B08"), mean("B04")
        assert title.startswith(f"{scene.sensing_time.date()}: NDVI "
                                f"{round((nir - red) / (nir + red), 3)}")  # fmt: skip
        assert "±" not in title
