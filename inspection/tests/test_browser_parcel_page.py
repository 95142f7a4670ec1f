"""The whole parcel page and the dataset map in a real browser, on the demo as `make demo`
sets it up (demo_setup --markers: the archive with Sentinel-1, the orthophoto as the default
background source, the ERA5-like weather, the events and lights), on the small demo archive.
Debian's headless Chromium driven by Playwright against a live server (skips, saying why,
where either is absent).

An inspector's path: the review list, its first parcel's page (the hub, the season plots,
the background image, the chips), then the dataset's map. What the page must show is read
from the database rows the setup wrote (lights, events, the source's attribution), and the
map's base layer is compared with the orthophoto read here with rasterio. No page may ask
anything outside the server, break a rule of its CSP or log an error."""

from __future__ import annotations

import io
import json
import math
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image
from pyproj import Transformer

from background.models import BackgroundSource
from background.tests.ortho import independent_read
from chips.tests.web.test_browser_composite import SHOTS, browser, off_loop  # noqa: F401
from markers.models import MarkerEvent, TrafficLight

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
MAP_ZOOM = 17  # the map's zoom when it opens on a parcel (inspection/static/inspection/map.js)
WORLD = 20037508.342789244


class Watch:
    """What a page asked outside the server, what its CSP refused, what it logged as an
    error, and which of its own requests failed."""

    def __init__(self, page: Any, origin: str) -> None:
        self.outside: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on(
            "request", lambda r: None if r.url.startswith(origin) else self.outside.append(r.url)
        )
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("requestfailed", lambda r: self.failed.append(f"failed {r.url}"))

    def _console(self, message: Any) -> None:
        if "Security Policy" in message.text:
            self.blocked.append(message.text)
        elif message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def clean(self) -> None:
        assert self.outside == [], self.outside
        assert self.blocked == [], self.blocked
        assert self.failed == [], self.failed
        assert self.errors == [], self.errors


def shoot(page: Any, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def loaded(page: Any, selector: str) -> None:
    """Every image under the selector in and decoded (not broken)."""
    page.wait_for_function(
        "s => Array.from(document.querySelectorAll(s))"
        ".every(i => i.complete && i.naturalWidth > 0)",
        arg=selector,
        timeout=60_000,
    )


@pytest.fixture
def demo_made(demo_archive: Path, chip_store: Path, settings: Any, tmp_path: Path) -> Path:
    settings.BACKGROUND_TILE_CACHE = tmp_path / "tiles"
    call_command("demo_setup", archive=demo_archive, markers=True, stdout=StringIO())
    return demo_archive


def test_the_parcel_page_and_the_map_on_the_demo(
    demo_made: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("live_server")
    chromium = request.getfixturevalue("browser")
    context = chromium.new_context(
        http_credentials={"username": "demo", "password": "demo"},
        viewport={"width": 1440, "height": 900},
        device_scale_factor=1,
    )
    page = context.new_page()
    watch = Watch(page, server.url)

    # The review list's first parcel (red first), opened with the keyboard.
    page.goto(f"{server.url}/inspect/review?aoi=nl&year=2024")
    pid = page.get_attribute("#review-current", "data-pid")
    with page.expect_navigation():
        page.keyboard.press("o")
    assert f"pid={pid}" in page.url
    light = off_loop(lambda: TrafficLight.objects.get(parcel__pid=pid, parcel__dataset__year=2024))
    events = off_loop(
        lambda: MarkerEvent.objects.filter(parcel__pid=pid, parcel__dataset__year=2024).count()
    )
    source = off_loop(lambda: BackgroundSource.objects.get(is_default=True))
    page.wait_for_selector("table.chips")
    loaded(page, "table.chips img, #parcel-background")
    page.wait_for_function(
        "() => !document.querySelector('#chip-progress progress')", timeout=60_000
    )

    # The hub: declaration, light with its reason, events, links that answer.
    assert page.locator("#parcel-hub").count() == 1
    assert pid in page.inner_text("#hub-declaration")
    assert page.inner_text("#hub-light-value") == light.light
    assert light.reason_code in page.inner_text("#hub-reason")
    if events:
        assert page.locator("#hub-markers tr").count() == events + 1  # and the header
    links = page.eval_on_selector_all("#hub-links a", "as => as.map(a => a.href)")
    assert len(links) >= 6
    for url in links:
        answer = page.request.get(url)
        assert answer.status == 200, (url, answer.status, answer.text()[:300])

    # The season plots, the background image with its attribution, the chips.
    assert page.locator("#season-chart .point").count() > 0
    assert page.locator("#s1-season-chart circle").count() > 0
    assert page.locator("#weather-chart rect.rain").count() > 0
    assert page.locator("#weather-chart polyline.tmean").count() == 1
    assert page.locator("#parcel-background").count() == 1
    assert source.attribution in page.inner_text(".parcel-background figcaption")
    assert page.locator("table.chips img").count() > 0
    # In the order an inspector reads them: the hub, the seasons on one date axis, the
    # background, the chips.
    order = page.eval_on_selector_all(
        "#parcel-hub, #season-chart, #s1-season-chart, #weather-chart, #parcel-background,"
        " table.chips",
        "es => es.map(e => e.id || e.className)",
    )
    assert order == [
        "parcel-hub", "season-chart", "s1-season-chart", "weather-chart",
        "parcel-background", "chips",
    ]  # fmt: skip
    # One date axis: the three plots drawn at the same place and width.
    frames = {
        (round(b["x"]), round(b["width"]))
        for b in (page.locator(s).bounding_box() for s in
                  ("#season-chart", "#s1-season-chart", "#weather-chart"))
    }  # fmt: skip
    assert len(frames) == 1, frames
    assert "{#" not in page.inner_text("body")  # no template comment shown as text
    shoot(page, "demo-parcel-page.png", tmp_path)

    # A parcel with events: each in the hub's table; its evidence page clean too.
    eventful = off_loop(
        lambda: (
            MarkerEvent.objects.filter(parcel__dataset__year=2024)
            .values_list("parcel__pid", flat=True)
            .order_by("parcel__pid")
            .first()
        )
    )
    assert eventful, "the demo's markers find events"
    count = off_loop(lambda: MarkerEvent.objects.filter(parcel__pid=eventful).count())
    page.goto(page.url.replace(f"pid={pid}", f"pid={eventful}"))
    page.wait_for_selector("#hub-markers")
    assert page.locator("#hub-markers tr").count() == count + 1
    loaded(page, "#parcel-background")
    page.wait_for_function(
        "() => !document.querySelector('#chip-progress progress')", timeout=60_000
    )
    loaded(page, "table.chips img")
    shoot(page, "demo-parcel-page-events.png", tmp_path)
    page.goto(page.eval_on_selector("#hub-evidence-link", "a => a.href"))
    page.wait_for_load_state("load")
    shoot(page, "demo-evidence.png", tmp_path)

    # The dataset map, opened on the parcel: the orthophoto's tiles under the outlines.
    tiles: list[Any] = []
    page.on("response", lambda r: tiles.append(r) if "/background/tiles/" in r.url else None)
    page.goto(f"{server.url}/inspect/map?aoi=nl&year=2024&pid={pid}")
    page.wait_for_function(
        "() => document.getElementById('map').getAttribute('data-state') === 'loaded'",
        timeout=30_000,
    )
    loaded(page, ".leaflet-tile-pane img")
    page.wait_for_timeout(300)  # Leaflet fades the tiles in
    assert tiles and all(r.status == 200 for r in tiles), [(r.status, r.url) for r in tiles]
    opaque = [np.asarray(Image.open(io.BytesIO(r.body())).convert("RGBA")) for r in tiles]
    assert sum(int((t[..., 3] == 255).sum()) for t in opaque) > 256 * 256  # not blank
    shoot(page, "demo-map.png", tmp_path)
    centre = json.loads(page.inner_text("#map-config"))["centre"]
    box = page.locator("#map").bounding_box()
    # The outlines hidden (the page's own style is not touched: an element's style set by
    # script is not an inline style the CSP governs), the map's centre pixel against the
    # orthophoto read here at the centroid, on the zoom's pixel size.
    page.eval_on_selector(".leaflet-overlay-pane", "e => { e.style.display = 'none'; }")
    page.wait_for_timeout(100)
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(float)
    cx, cy = round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
    seen = shot[cy - 4 : cy + 5, cx - 4 : cx + 5].reshape(-1, 3).mean(axis=0)
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(*centre)
    pixel = 2 * WORLD / (256 * 2**MAP_ZOOM)
    half = 4.5 * pixel
    ortho = Path(source.url)
    want = independent_read(ortho, (x - half, y - half, x + half, y + half), 9)
    want_mean = want.reshape(3, -1).mean(axis=1)
    assert np.abs(seen - want_mean).max() < 12, (seen, want_mean)
    assert not math.isnan(float(seen.sum()))
    watch.clean()
    context.close()
