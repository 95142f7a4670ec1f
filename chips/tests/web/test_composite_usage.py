"""Composite pages count their composites as chips cut for the user who asked: in the request
log, the daily usage page, the usage CSV and the daily chip quota, as raw chips do.

Committed data (transactional_db): without a broker the composites are made in a thread
beside the request, with its own database connection.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from chips.models import CachedChip
from chips.tests.web.test_pages import HTML, JSON, job_param, location_url, wait_done
from ops import log_writer
from ops.models import RequestLog
from ops.quotas import chips_cut_today
from ops.summary import usage_by_user
from ops.usage_export import usage_csv
from testing import composite_archive as fx
from testing.auth import make_user
from testing.quotas import quotas_off

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quotas(settings: Any, chip_store: Path) -> Any:
    """The chip store in the test's folder, quotas off and counted afresh."""
    quotas_off(settings)
    return settings


@pytest.fixture
def inspector(db: None) -> tuple[User, Client]:
    user = make_user("inspector", email="inspector@example.org")
    client = Client()
    client.force_login(user)
    return user, client


def season_in_windows(client: Client) -> dict[str, Any]:
    """What the page's script does: the page (its first window started), then every
    window it lists, each polled until done; the whole window's answer at the end."""
    html = client.get(location_url(), **HTML).content.decode()
    wait_done(client, job_param(html))
    found = re.search(r'id="chip-batches"[^>]*>(.*?)</script>', html, re.S)
    link = re.search(r'id="chip-batch-url" data-url="([^"]+)"', html)
    assert found and link, "the page does not ask in windows"
    batch_url = link[1].replace("&amp;", "&")
    for start, end in json.loads(found[1]):
        body = client.get(f"{batch_url}&start_date={start}&end_date={end}", **JSON).json()
        if body["state"] == "running":
            body = wait_done(client, f"{batch_url}&job={body['job']}")
        assert body["state"] == "done", body
    return wait_done(client, location_url())


def test_a_season_page_counts_its_composites_for_its_user(
    tmp_path: Path, quotas: Any, inspector: tuple[User, Client]
) -> None:
    quotas.MAX_CHIPS_PER_REQUEST = 3
    quotas.QUOTA_CHIPS_PER_DAY = 0
    fx.make_scenes(tmp_path / "archive", 8)  # 8 dates: the page asks in 3 windows
    user, client = inspector
    done = season_in_windows(client)
    assert done["state"] == "done" and len(done["chips"]) == 8
    made = CachedChip.objects.filter(cache__user=user).count()
    assert made == 8  # independent of the log: the composites the user's cache holds
    log_writer.flush()
    rows = RequestLog.objects.filter(endpoint="chipsByLocation")
    assert {r.user_id for r in rows} == {user.pk}
    assert sum(r.chips_cut for r in rows) == made
    # The last request found all 8 in the user's cache: served, not cut.
    assert rows.order_by("-time").first().chips_cached == 8  # type: ignore[union-attr]
    # The daily quota counts them; the usage page ranks the user by them; the CSV has them.
    assert chips_cut_today(user_id=user.pk) == 8
    usage = {row.key: row.chips_cut for row in usage_by_user(day=timezone.localdate())}
    assert usage["inspector"] == 8
    # The operators' daily usage page says the same.
    root = Client()
    root.force_login(User.objects.create_superuser("root", password="pw-for-admin"))
    page = root.get("/admin/ops/usagesummary/")
    assert {row.key: row.chips_cut for row, _ in page.context["by_user"]}["inspector"] == 8
    month = timezone.localdate().replace(day=1)
    table = csv.DictReader(io.StringIO(usage_csv(first=month, last=month)))
    assert {r["user"]: r["chips_cut"] for r in table}["inspector"] == "8"
    # Asking again costs nothing more.
    assert wait_done(client, location_url())["state"] == "done"
    assert chips_cut_today(user_id=user.pk) == 8


def test_the_daily_chip_quota_stops_composite_work(
    tmp_path: Path, quotas: Any, inspector: tuple[User, Client]
) -> None:
    quotas.MAX_CHIPS_PER_REQUEST = 24
    quotas.QUOTA_CHIPS_PER_DAY = 5
    fx.make_scenes(tmp_path / "archive", 3)
    user, client = inspector
    first = wait_done(client, location_url(end_date="2024-05-11"))  # 3 dates: 3 of 5
    assert first["state"] == "done" and len(first["chips"]) == 3
    # 3 more dates would pass 5: refused before any work starts, as raw chips are.
    fx.make_scenes(tmp_path / "later", 3, first=dt.date(2024, 6, 1))
    refused = client.get(location_url(start_date="2024-06-01"), **JSON)
    assert refused.status_code == 429, refused.content
    assert "over the quota of 5 chips" in refused.json()["error"]
    assert CachedChip.objects.filter(cache__user=user).count() == 3
    page = client.get(location_url(start_date="2024-06-01"), **HTML)
    assert page.status_code == 429


def test_the_cache_admin_names_a_composite_cache(
    tmp_path: Path, quotas: Any, inspector: tuple[User, Client]
) -> None:
    fx.make_scenes(tmp_path / "archive", 2)
    user, client = inspector
    assert wait_done(client, location_url())["state"] == "done"
    root = Client()
    root.force_login(User.objects.create_superuser("root", password="pw-for-admin"))
    page = root.get("/admin/chips/clientcache/").content.decode()
    lon, lat = fx.centre_lonlat()
    assert "inspector @ 127.0.0.1" in page and "composite PNG" in page
    assert "B08/B04/B03" in page  # the PNG's own band triple, not the record's first band
    assert f"1280 m square at {lat:.5f}° N, {lon:.5f}° E" in page
