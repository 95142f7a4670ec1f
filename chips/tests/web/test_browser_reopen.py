"""The composite page fills itself in however it was opened: typed in, from its form, and
back to it with the browser's back button, restored from the back/forward cache (bfcache:
the page's scripts frozen and thawed, `pageshow` with `persisted`) or loaded again.

Debian's headless Chromium driven by Playwright against a live server (skips, saying why,
where either is absent). Playwright turns the bfcache off by default; these tests turn it
back on, as a user's browser has it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from chips.models import CachedChip, ChipJob, JobStatus
from chips.store.cache import flush_cache
from chips.tests.web.test_browser_composite import CHROMIUM, CHROMIUM_ARGS, off_loop
from testing import composite_archive as fx
from testing.auth import PASSWORD, make_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
COUNT = 6


@pytest.fixture
def chromium(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Chromium with its back/forward cache on, as a user's browser has it (param False:
    off, Playwright's default: going back loads the page from the browser's HTTP cache)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright")
    bfcache = getattr(request, "param", True)
    keep = ["--disable-back-forward-cache"] if bfcache else []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, ignore_default_args=keep
        )
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path, chip_store: Path, settings: Any, request: pytest.FixtureRequest) -> str:
    # The page asks in windows unless a test sets a higher limit: its script does the work.
    settings.MAX_CHIPS_PER_REQUEST = 2
    fx.make_scenes(tmp_path / "archive", COUNT)
    make_user("viewer", PASSWORD)
    return str(request.getfixturevalue("live_server").url)


def page_url(base: str, **extra: str) -> str:
    lon, lat = fx.centre_lonlat()
    params = {"lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "start_date": "2024-05-01",
              "end_date": "2024-06-30", **extra}  # fmt: skip
    return f"{base}/query/chipsByLocation?" + "&".join(f"{k}={v}" for k, v in params.items())


def filled(page: Page, count: int = COUNT) -> None:
    try:
        page.wait_for_function(
            f"() => document.querySelectorAll('table.chips img').length === {count}"
            " && !document.querySelector('#chip-progress progress')",
            timeout=30_000,
        )
    except Exception:
        shown = page.locator("table.chips img").count()
        raise AssertionError(f"{shown} shown: {page.inner_text('#chip-progress')}") from None


def settle() -> None:
    """Wait until no composite job runs: the server is idle."""
    deadline = time.monotonic() + 30
    while off_loop(lambda: ChipJob.objects.filter(status=JobStatus.RUNNING).exists()):
        assert time.monotonic() < deadline, "the jobs never ended"
        time.sleep(0.05)


@pytest.mark.parametrize("chromium", [True, False], ids=["thawed", "from-http-cache"],
                         indirect=True)  # fmt: skip
@pytest.mark.parametrize("limit", [24, 2], ids=["one-job", "in-windows"])
@pytest.mark.parametrize("flush", [False, True], ids=["kept", "flushed"])
def test_back_to_a_page_left_while_cutting(
    site: str,
    chromium: Browser,
    settings: Any,
    limit: int,
    flush: bool,
    request: pytest.FixtureRequest,
) -> None:
    """Left while cutting, then back: the page fills in, from the bfcache (its scripts
    thawed) or the browser's HTTP cache (its scripts run again). With the cache flushed
    meanwhile (the nightly flush, an operator) its jobs are gone with it: the page asks for
    its chips again."""
    settings.MAX_CHIPS_PER_REQUEST = limit
    context = chromium.new_context(http_credentials={"username": "viewer", "password": PASSWORD})
    page = context.new_page()
    # Notes how the page came back (an init script: the page's CSP allows no other).
    page.add_init_script(
        "window.addEventListener('pageshow', e => { window.cbmRestored = e.persisted; });"
    )

    def script_asks(url: str) -> bool:
        return "format=json" in url

    # Before leaving, none of the script's requests get through: the page shows no chip
    # yet, whatever the server's pace; back on it, they do.
    page.route(script_asks, lambda route: route.abort())
    first = page.goto(page_url(site))
    assert first is not None and first.text().count('<td class="pending">') == COUNT
    page.goto(f"{site}/api/docs/")
    page.unroute(script_asks)
    settle()
    if flush:
        off_loop(flush_cache)
        assert off_loop(lambda: ChipJob.objects.count()) == 0  # gone with their caches
    page.go_back(wait_until="commit")
    page.wait_for_function("() => window.cbmRestored !== undefined")
    thawed = request.node.callspec.params["chromium"]
    assert page.evaluate("() => window.cbmRestored") == thawed
    filled(page)
    assert "Stopped" not in page.inner_text("#chip-progress")
    assert off_loop(lambda: ChipJob.objects.count()) > 0  # asked again
    # Every chip shown is held again, under the viewer's new token.
    sources = page.eval_on_selector_all("table.chips img", "imgs => imgs.map(i => i.src)")
    held = off_loop(
        lambda: {f"/dump/{c.cache.token}/{c.file_name}" for c in CachedChip.objects.all()}
    )
    assert {urlparse(src).path for src in sources} == held
    context.close()
