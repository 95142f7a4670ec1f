"""The composite pages in a real browser, on the demo area: Debian's headless Chromium driven
by Playwright against a live server that the test starts, with the `demo_archive` fixture
(3 tiles near Zwolle, June 2024) ingested as the demo does it. Skips, saying why, where
Chromium or Playwright is absent (`apt-get install chromium`; Playwright's own browser
download is never used).

What the page must show is computed here from the archive's own files: the acquisitions
from the STAC items (footprint against the chip square, one per sensing time), the parcel
from the GeoPackage with OGR.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from django.contrib.gis.gdal import CoordTransform, DataSource, SpatialReference
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from pyproj import Transformer
from shapely.geometry import Polygon, shape

from chips.models import ChipJob

if TYPE_CHECKING:  # playwright is imported when a test runs: it may be absent
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START, END = dt.date(2024, 6, 1), dt.date(2024, 6, 28)
WINDOW = f"start_date={START}&end_date={END}"
CHIPSIZE = 1280
# Where the screenshots go besides the test's own folder (to look at them after a run).
SHOTS = os.environ.get("CBMWEB_SCREENSHOTS", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
T = TypeVar("T")


def off_loop(fn: Callable[[], T]) -> T:
    """Run a database call in a thread of its own: Playwright's sync API runs an event loop
    in the test's thread, where Django refuses ORM calls."""
    out: list[T] = []

    def run() -> None:
        try:
            out.append(fn())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_loaded(demo_archive: Path, chip_store: Path, settings: Any) -> Path:
    """The demo archive ingested (COG then SAFE) with its parcels and the demo user, as
    `manage.py demo_setup` does it; chips go to a store of this test's own."""
    settings.MAX_CHIPS_PER_REQUEST = 24
    call_command("demo_setup", archive=demo_archive, stdout=StringIO())
    return demo_archive


def pngs(store: Path) -> dict[Path, int]:
    """The composites in the store and when each was last written."""
    return {p: p.stat().st_mtime_ns for p in store.rglob("*.png")}


def chip_square(lon: float, lat: float, epsg: int) -> Polygon:
    """The chip square around the point, in lon/lat (its corners from the scene's UTM)."""
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    back = Transformer.from_crs(epsg, 4326, always_xy=True).transform
    h = CHIPSIZE / 2
    return Polygon([back(x + dx, y + dy) for dx, dy in ((-h, -h), (h, -h), (h, h), (-h, h))])


def expected_acquisitions(archive: Path, lon: float, lat: float) -> list[str]:
    """Sensing keys (YYYYmmddTHHMMSS) of the L2A acquisitions whose data footprint meets
    the chip square, one per sensing time, from the STAC items alone."""
    keys = set()
    for item_path in (archive / "cog").rglob("*.json"):
        item = json.loads(item_path.read_text())
        props = item["properties"]
        when = dt.datetime.fromisoformat(props["datetime"].replace("Z", "+00:00"))
        if not START <= when.date() <= END:
            continue
        if shape(item["geometry"]).intersects(chip_square(lon, lat, props["proj:epsg"])):
            keys.add(when.strftime("%Y%m%dT%H%M%S"))
    return sorted(keys)


def demo_parcel(archive: Path, lon: float, lat: float) -> dict[str, Any]:
    """The GeoPackage parcel nearest the point (read with GDAL's OGR), its facts and its
    area in EPSG:3035 (ha)."""
    manifest = json.loads((archive / "demo.json").read_text())
    layer = DataSource(str(archive / manifest["parcels"]))[manifest.get("parcels_layer", 0)]
    native = layer.srs
    point = Point(lon, lat, srid=4326).ogr
    point.transform(CoordTransform(SpatialReference(4326), native))
    best = min(layer, key=lambda f: f.geom.centroid.geos.distance(point.geos))
    geom = best.geom.clone()
    centre = geom.centroid
    centre.transform(CoordTransform(native, SpatialReference(4326)))
    geom.transform(CoordTransform(native, SpatialReference(3035)))
    return {
        "pid": best.get("pid"),
        "crop": best.get("crop_name"),
        "ha": geom.area / 10_000,
        "lonlat": (centre.x, centre.y),
    }


def open_and_wait(page: Any, url: str, count: int) -> dict[str, Any]:
    """Open a chips page, note whether it showed chips still being cut, and wait until
    every acquisition's image is in and loaded."""
    response = page.goto(url)
    # Counted in the server's first answer, not in the DOM: the page's script may have
    # filled every chip in before the test looks.
    pending_at_first = response.text().count('<td class="pending">') if response else 0
    page.wait_for_selector("table.chips")
    # Functions, not expression strings: Playwright evals those, which the page's CSP forbids.
    page.wait_for_function(
        f"() => document.querySelectorAll('table.chips img').length === {count}", timeout=60_000
    )
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('table.chips img'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    images = page.eval_on_selector_all(
        "table.chips img",
        "imgs => imgs.map(i => ({id: i.id, src: i.getAttribute('src'),"
        " w: i.naturalWidth, h: i.naturalHeight}))",
    )
    return {"pending_at_first": pending_at_first, "images": images}


def yellow_pixels(page: Any) -> list[int]:
    """Pixels of the parcel-outline yellow in each chip, counted in the browser."""
    return page.eval_on_selector_all(
        "table.chips img",
        """imgs => imgs.map(img => {
             const c = document.createElement('canvas');
             c.width = img.naturalWidth; c.height = img.naturalHeight;
             const g = c.getContext('2d'); g.drawImage(img, 0, 0);
             const d = g.getImageData(0, 0, c.width, c.height).data;
             let n = 0;
             for (let i = 0; i < d.length; i += 4) {
               if (d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 0 && d[i + 3] === 255) n++;
             }
             return n; })""",
    )


def shoot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / path.name), full_page=True)


def test_demo_area_pages_in_chromium(
    demo_loaded: Path, tmp_path: Path, request: pytest.FixtureRequest, chip_store: Path
) -> None:
    archive = demo_loaded
    x0, y0, x1, y1 = json.loads((archive / "demo.json").read_text())["bbox_wgs84"]
    lon, lat = round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6)
    expected = expected_acquisitions(archive, lon, lat)
    assert len(expected) >= 5
    parcel = demo_parcel(archive, lon, lat)
    server = request.getfixturevalue("live_server")
    browser = request.getfixturevalue("browser")
    context = browser.new_context(
        http_credentials={"username": "demo", "password": "demo"},
        viewport={"width": 1440, "height": 900},
    )
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    # The pages' Content-Security-Policy must block nothing of their own.
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Security Policy" in m.text else None)

    # chipsByLocation, false colour (B08 first: the 10 m grid).
    url = f"{server.url}/query/chipsByLocation?lon={lon}&lat={lat}&{WINDOW}&chipsize={CHIPSIZE}"
    started = time.monotonic()
    seen = open_and_wait(page, url, len(expected))
    filled_in = time.monotonic() - started
    images = seen["images"]
    assert seen["pending_at_first"] > 0  # the page came at once and filled in
    assert [i["id"] for i in images] == expected
    assert all((i["w"], i["h"]) == (128, 128) for i in images), images
    assert all(re.fullmatch(r"/dump/[\w-]+/S2[ABC]_MSIL2A_\w+\.png", i["src"]) for i in images)
    columns = page.eval_on_selector_all("table.chips tr", "rows => rows.map(r => r.cells.length)")
    assert max(columns) <= 8 and sum(columns) == len(expected)
    assert page.locator("h1").inner_text().startswith("Chips at")
    assert f"{len(expected)} of {len(expected)} chips ready" in page.inner_text("#chip-progress")
    assert page.locator(".cloud").count() >= len(expected)  # SCL exists: a share per chip
    shoot(page, tmp_path / "chipsByLocation-demo.png")
    # A reload shows the held chips at once and makes nothing: no job, no file rewritten.
    held = pngs(chip_store)
    assert len(held) == len(expected)
    jobs_before = off_loop(lambda: ChipJob.objects.filter(kind="composite").count())
    page.reload()
    assert page.locator("table.chips img").count() == len(expected)
    assert page.locator(".placeholder").count() == 0
    assert pngs(chip_store) == held
    assert off_loop(lambda: ChipJob.objects.filter(kind="composite").count()) == jobs_before

    # A 20 m first band sets a 20 m grid: 64 px for 1280 m.
    seen = open_and_wait(page, url + "&bands=B11_B08_B04", len(expected))
    assert all((i["w"], i["h"]) == (64, 64) for i in seen["images"]), seen["images"]
    shoot(page, tmp_path / "chipsByLocation-demo-swir.png")

    # chipsByParcelID: the parcel's header and its outline on every chip.
    plon, plat = parcel["lonlat"]
    on_parcel = expected_acquisitions(archive, plon, plat)
    url = f"{server.url}/query/chipsByParcelID?aoi=nl&year=2024&pid={parcel['pid']}&{WINDOW}"
    seen = open_and_wait(page, url, len(on_parcel))
    assert [i["id"] for i in seen["images"]] == on_parcel
    heading = page.locator("h1").inner_text()
    assert heading == f"Parcel {parcel['pid']}: {parcel['crop']}, {parcel['ha']:.2f} ha"
    assert all(n > 20 for n in yellow_pixels(page))
    shoot(page, tmp_path / "chipsByParcelID-demo.png")

    # One job per request, none restarted by the reloads and polls.
    jobs = off_loop(lambda: list(ChipJob.objects.filter(kind="composite")))
    assert len(jobs) == 3 and all(j.status == "done" for j in jobs)
    assert outside == []  # no CDN, no font service: the machines have no internet
    assert blocked == []
    context.close()
    print(f"{len(expected)} chips filled in {filled_in:.2f} s; screenshots in {tmp_path}")


def test_reload_while_cutting_joins_the_work(
    demo_loaded: Path, tmp_path: Path, request: pytest.FixtureRequest, chip_store: Path
) -> None:
    """Reloading the page while its chips are being cut, and asking for a recut
    (refresh=True), never render a composite twice; a finished recut leaves a URL whose
    reload renders nothing more."""
    archive = demo_loaded
    x0, y0, x1, y1 = json.loads((archive / "demo.json").read_text())["bbox_wgs84"]
    lon, lat = round(x0 + (x1 - x0) / 3, 6), round((y0 + y1) / 2, 6)
    expected = expected_acquisitions(archive, lon, lat)
    server = request.getfixturevalue("live_server")
    browser = request.getfixturevalue("browser")
    context = browser.new_context(http_credentials={"username": "demo", "password": "demo"})
    page = context.new_page()
    url = f"{server.url}/query/chipsByLocation?lon={lon}&lat={lat}&{WINDOW}"

    def jobs_made() -> list[tuple[str, int, int]]:
        """(status, done, total) of every composite job, oldest first."""
        rows = ChipJob.objects.filter(kind="composite").order_by("created")
        return off_loop(lambda: [(j.status, j.done, j.total) for j in rows])

    def settled() -> list[tuple[str, int, int]]:
        deadline = time.monotonic() + 60
        made = jobs_made()
        while any(status == "running" for status, _, _ in made):
            assert time.monotonic() < deadline, made
            time.sleep(0.05)
            made = jobs_made()
        return made

    n = len(expected)

    page.goto(url)
    assert page.locator("td.pending").count() > 0
    page.reload()  # while the job runs
    page.wait_for_function(
        f"() => document.querySelectorAll('table.chips img').length === {len(expected)}",
        timeout=60_000,
    )
    # One job, joined by the reload: each composite made once, by it.
    assert settled() == [("done", n, n)]
    first = pngs(chip_store)
    assert len(first) == n
    assert off_loop(lambda: ChipJob.objects.filter(kind="composite").count()) == 1

    # refresh=True renders every chip again, once, and the page fills in as before.
    page.goto(url + "&refresh=True")
    page.wait_for_function(
        "() => document.querySelectorAll('table.chips img').length === "
        f"{len(expected)} && !document.querySelector('#chip-progress progress')",
        timeout=60_000,
    )
    # One more job, which made every composite again.
    assert settled() == [("done", n, n), ("done", n, n)]
    again = pngs(chip_store)
    assert again.keys() == first.keys() and all(again[p] > first[p] for p in first)
    assert "refresh" not in page.url  # the recut is over: a reload must not recut
    page.reload()
    assert page.locator(".placeholder").count() == 0
    assert settled() == [("done", n, n), ("done", n, n)]
    assert pngs(chip_store) == again  # nothing made again
    assert off_loop(lambda: ChipJob.objects.filter(kind="composite").count()) == 2
    context.close()


def test_a_window_over_the_limit_fills_in_by_batches(
    demo_loaded: Path, request: pytest.FixtureRequest, settings: Any
) -> None:
    """More acquisitions than one request may make: the page shows them all, asking for
    them window by window, instead of a 400."""
    settings.MAX_CHIPS_PER_REQUEST = 3
    archive = demo_loaded
    x0, y0, x1, y1 = json.loads((archive / "demo.json").read_text())["bbox_wgs84"]
    lon, lat = round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6)
    expected = expected_acquisitions(archive, lon, lat)
    assert len(expected) > 2 * settings.MAX_CHIPS_PER_REQUEST  # three windows at least
    server = request.getfixturevalue("live_server")
    url = f"{server.url}/query/chipsByLocation?lon={lon}&lat={lat}&{WINDOW}"
    # The page as the server first answers it: only the first window is started there, the
    # others wait for the page's script (read before any script runs: no race).
    first = urllib.request.Request(
        url, headers={"Accept": "text/html", "Authorization": "Basic ZGVtbzpkZW1v"}
    )
    with urllib.request.urlopen(first, timeout=60) as answer:  # noqa: S310 - loopback
        html = answer.read().decode()
    pending = html.count('<td class="pending">')
    assert pending >= len(expected) - settings.MAX_CHIPS_PER_REQUEST, pending
    browser = request.getfixturevalue("browser")
    context = browser.new_context(http_credentials={"username": "demo", "password": "demo"})
    page = context.new_page()
    shown = open_and_wait(page, url, len(expected))
    assert sorted(i["id"] for i in shown["images"]) == expected
    assert all((i["w"], i["h"]) == (128, 128) for i in shown["images"])
    page.wait_for_function("!document.querySelector('#chip-progress progress')")
    assert "Stopped" not in page.inner_text("#chip-progress")
    jobs = off_loop(lambda: ChipJob.objects.filter(kind="composite").count())
    assert jobs >= -(-len(expected) // settings.MAX_CHIPS_PER_REQUEST)  # one job per window
