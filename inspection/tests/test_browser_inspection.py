"""The inspector's way in, in a real browser: Debian's headless Chromium driven by Playwright
against a live server (skips, saying why, where either is absent). The parcels are the
fixture's boxes (inspection/tests/conftest.py) with lights written by hand, so where each is
drawn on the map and which colour it has are known without the code under test: the map's
pixels are read from a screenshot at the parcel's centroid, projected with the Web Mercator
formulas here. Every page must load nothing from outside and break no rule of its CSP."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from chips.tests.web.test_browser_composite import SHOTS, browser, off_loop  # noqa: F401
from inspection.models import Decision
from inspection.tests.conftest import LON0, SIZE, STEP, corner
from testing.auth import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
RED = (211, 47, 47)
GROUND = (238, 241, 234)  # the map's background (#eef1ea): no base layer in the tests
MAP_ZOOM = 17  # the map's zoom when it opens on a parcel (inspection/static/inspection/map.js)


def blend(colour: tuple[int, int, int], opacity: float) -> tuple[float, ...]:
    return tuple(c * opacity + g * (1 - opacity) for c, g in zip(colour, GROUND, strict=True))


def near(pixel: tuple[int, ...], colour: tuple[float, ...], tolerance: float = 12) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel[:3], colour, strict=True))


def world_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of lon/lat at `zoom` (256 px tiles)."""
    scale = 256 * 2**zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale


class Watch:
    """What a page asked outside the server, and what its CSP refused."""

    def __init__(self, page: Any, origin: str) -> None:
        self.outside: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page.on(
            "request", lambda r: None if r.url.startswith(origin) else self.outside.append(r.url)
        )
        page.on(
            "console",
            lambda m: self.blocked.append(m.text) if "Security Policy" in m.text else None,
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def clean(self) -> None:
        assert self.outside == [] and self.blocked == [] and self.errors == []


def pixel(page: Any, x: float, y: float) -> tuple[int, ...]:
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    return tuple(shot.getpixel((round(x), round(y))))  # type: ignore[arg-type]


def shoot(page: Any, name: str) -> None:
    """A screenshot to look at after a run, where CBMWEB_SCREENSHOTS says."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def wait_features(page: Any, count: int) -> None:
    try:
        _wait_features(page, count)
    except Exception as error:
        state = page.eval_on_selector(
            "#map", "m => [m.getAttribute('data-state'), m.getAttribute('data-features')]"
        )
        raise AssertionError(f"{state} {page.inner_text('#map-status')!r}") from error


def _wait_features(page: Any, count: int) -> None:
    page.wait_for_function(
        f"() => {{ const m = document.getElementById('map');"
        f" return m.getAttribute('data-state') === 'loaded' &&"
        f" m.getAttribute('data-features') === '{count}'; }}",
        timeout=20_000,
    )
    page.wait_for_timeout(150)  # Leaflet draws on the next frame


def test_inspector_way_in(lit: dict, request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue("live_server")
    chromium = request.getfixturevalue("browser")
    context = chromium.new_context(
        http_credentials={"username": "alice", "password": PASSWORD},
        viewport={"width": 1280, "height": 900},
        device_scale_factor=1,
    )
    page = context.new_page()
    watch = Watch(page, server.url)

    # 1. By id, from the front page: suggestions as one types, arrows and Enter.
    page.goto(f"{server.url}/")
    page.fill("#find-q", "p0")
    page.wait_for_function("() => document.querySelectorAll('#find-suggestions a').length === 7")
    pids = page.eval_on_selector_all("#find-suggestions a", "as => as.map(a => a.dataset.pid)")
    assert pids == ["p01", "p02", "p03", "p04", "p05", "p06", "p01"]  # nl 2024, then 2023
    shoot(page, "inspection-search.png")
    page.press("#find-q", "ArrowDown")
    page.press("#find-q", "ArrowDown")
    with page.expect_navigation():
        page.press("#find-q", "Enter")
    assert "pid=p02" in page.url and "start_date=2024-01-01" in page.url
    assert page.locator("h1").inner_text().startswith("Parcel p02: grass")
    assert page.inner_text("#hub-light-value") == "yellow"
    shoot(page, "inspection-parcel-page.png")

    # By id typed whole and sent; by a point.
    page.goto(f"{server.url}/")
    page.fill("#find-q", "p04")
    with page.expect_navigation():
        page.click("#find-by-id button")
    assert re.search(r"pid=p04&", page.url)
    lon, lat = corner("p06")
    page.goto(f"{server.url}/")
    page.fill("#find-lat", str(lat + SIZE / 2))
    page.fill("#find-lon", str(lon + SIZE / 2))
    with page.expect_navigation():
        page.click("#find-by-point button")
    assert "pid=p06" in page.url

    # 2. The map, opened on p04: its outline drawn where it is, red.
    page.goto(f"{server.url}/inspect/map?aoi=nl&year=2024&pid=p04")
    page.wait_for_selector("#map")
    box = page.locator("#map").bounding_box()
    wait_features(page, 3)  # p04 and its neighbours p03 and p05 in view
    lon, lat = corner("p04")
    clon, clat = lon + SIZE / 2, lat + SIZE / 2  # the view's centre: the parcel's centroid
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert near(pixel(page, cx, cy), blend(RED, 0.6))
    shoot(page, "inspection-map.png")
    # Between p04 and p05 (no parcel): the bare ground. Projected here, not by the page.
    gx, _ = world_px(lon + SIZE + (STEP - SIZE) / 2, clat, MAP_ZOOM)
    ox, _ = world_px(clon, clat, MAP_ZOOM)
    assert near(pixel(page, cx + (gx - ox), cy), GROUND, 4)
    # p03 (green) one step west.
    wx, _ = world_px(clon - STEP, clat, MAP_ZOOM)
    assert near(pixel(page, cx + (wx - ox), cy), blend((56, 142, 60), 0.6))

    # The filters: without red, p04 is gone; practice arable keeps p03 and p04.
    page.uncheck("#f-light-red")
    wait_features(page, 2)
    assert near(pixel(page, cx, cy), GROUND, 4)
    page.check("#f-light-red")
    page.select_option("#f-practice", "arable")
    wait_features(page, 2)
    assert near(pixel(page, cx, cy), blend(RED, 0.6))
    # A click on the parcel opens its page.
    with page.expect_navigation():
        page.mouse.click(cx, cy)
    assert "pid=p04" in page.url and "start_date=2024-01-01" in page.url

    # The dataset's map opens on its parcels (zoomed to field level): all six.
    page.goto(f"{server.url}/inspect/map?aoi=nl&year=2024")
    wait_features(page, 6)

    # 4. The review list with the keyboard, and a decision.
    page.goto(f"{server.url}/inspect/review?aoi=nl&year=2024")
    assert page.get_attribute("#review-current", "data-pid") == "p01"
    for key, pid in (("j", "p04"), ("ArrowDown", "p02"), ("k", "p04")):
        with page.expect_navigation():
            page.keyboard.press(key)
        assert page.get_attribute("#review-current", "data-pid") == pid, key
    page.keyboard.press("2")
    assert page.is_checked("#v-overturned")
    page.keyboard.press("c")
    page.keyboard.type("grass, not arable")
    page.keyboard.press("j")  # typing: a letter of the comment, no move
    assert page.get_attribute("#review-current", "data-pid") == "p04"
    with page.expect_navigation():
        page.click("#decide-stay")
    assert "pid=p04" in page.url
    assert "overturned" in page.inner_text("#decision-history")
    assert "grass, not arable" in page.inner_text("#decision-history")
    row = page.locator('#review-list tr[data-pid="p04"]').inner_text()
    assert "overturned" in row
    shoot(page, "inspection-review.png")
    stored = off_loop(
        lambda: list(Decision.objects.values_list("parcel__pid", "verdict", "username", "comment"))
    )
    assert stored == [("p04", "overturned", "alice", "grass, not arablej")]
    # Shown on the parcel's page.
    with page.expect_navigation():
        page.keyboard.press("o")
    assert "overturned by alice" in page.inner_text("#hub-decision")
    page.goto(f"{server.url}/inspect/")
    assert page.locator("a.map-link").count() == 2  # nl 2024 and 2023, not be
    watch.clean()
    context.close()


def test_lon0_is_the_first_parcel() -> None:
    assert corner("p01") == (LON0, 52.1)
