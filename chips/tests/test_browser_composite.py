"""chipsByLocation in a real browser: Debian's headless Chromium driven by Playwright against
a live server that the test starts. Skips, saying why, where Chromium or Playwright is absent
(`apt-get install chromium`; Playwright's own browser download is never used)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from chips.tests import composite_fixtures as fx

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
SCENES = 10

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser() -> Any:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_chips_by_location_page_in_chromium(
    tmp_path: Path, settings: Any, live_server: Any, request: pytest.FixtureRequest
) -> None:
    settings.CHIP_STORE = tmp_path / "store"
    scenes = fx.make_scenes(tmp_path / "archive", SCENES)
    get_user_model().objects.create_user("analyst", password="pw")
    lon, lat = fx.centre_lonlat()
    url = (
        f"{live_server.url}/query/chipsByLocation?lon={lon:.7f}&lat={lat:.7f}"
        "&start_date=2024-05-01&end_date=2024-06-30"
    )
    # The database is set up before the browser starts: Playwright's sync API runs an event
    # loop in this thread, in which Django refuses ORM calls.
    browser = request.getfixturevalue("browser")
    context = browser.new_context(http_credentials={"username": "analyst", "password": "pw"})
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    started = time.monotonic()
    page.goto(url)
    page.wait_for_selector("table.chips")
    # Chips arrive while the page is open: wait until every cell holds its image.
    page.wait_for_function(
        f"document.querySelectorAll('table.chips img').length === {SCENES}", timeout=60_000
    )
    page.wait_for_function(
        "Array.from(document.querySelectorAll('table.chips img')).every(i => i.complete)"
    )
    elapsed = time.monotonic() - started

    images = page.eval_on_selector_all(
        "table.chips img",
        "imgs => imgs.map(i => ({id: i.id, src: i.getAttribute('src'),"
        " w: i.naturalWidth, h: i.naturalHeight}))",
    )
    assert [i["id"] for i in images] == [s.sensing_key for s in scenes]
    assert all((i["w"], i["h"]) == (128, 128) for i in images), images
    assert all(re.fullmatch(r"/dump/[\w-]+/\w+\.png", i["src"]) for i in images)
    rows = page.eval_on_selector_all("table.chips tr", "rows => rows.map(r => r.cells.length)")
    assert rows == [8, 2]
    assert page.locator("h1").inner_text().startswith("Chips at")
    assert page.locator("form.chip-form input[name=bands]").input_value() == "B08_B04_B03"
    assert "of 10 chips ready" in page.locator("#chip-progress").inner_text()
    assert outside == []  # no CDN, no font service: the machines have no internet

    shot = tmp_path / "chipsByLocation.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    # A reload shows the cached chips at once, without waiting for any work.
    page.reload()
    assert page.locator("table.chips img").count() == SCENES
    assert page.locator(".placeholder").count() == 0
    context.close()
    print(f"page filled in {elapsed:.2f} s; screenshot {shot}")
