"""The chip cache admin: readable rows, no empty ones, totals, free disk, the next nightly
flush, one "Flush" action and a confirmed "Flush all" (through chips.store.cache)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chips.models import CachedChip, ClientCache
from chips.store.figures import next_flush
from chips.tests.test_cache import LONLAT, chips_for, files

pytestmark = pytest.mark.django_db
LIST = "/admin/chips/clientcache/"


@pytest.fixture
def admin_site(archive, chip_store: Path, client: Client) -> Client:
    """Two clients' caches (ana holds B04 and SCL, bo B04: the B04 files are shared), an
    empty cache, and a superuser logged in."""
    ana, bo = User.objects.create(username="ana"), User.objects.create(username="bo")
    chips_for(ana, "10.0.0.1")
    chips_for(ana, "10.0.0.1", band="SCL")
    chips_for(bo, "10.0.0.9")
    ClientCache.objects.create(user=bo, ip="10.0.0.9", square="1.000000|2.000000|640")
    client.force_login(User.objects.create_superuser("root", password="pw-for-admin"))
    return client


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def test_rows_say_who_where_what(admin_site: Client) -> None:
    page = admin_site.get(LIST)
    assert page.status_code == 200
    rows = page.context["cl"].result_list
    # The empty cache is not listed: two rows, one per client with chips.
    assert sorted((str(r.user), r.ip) for r in rows) == [("ana", "10.0.0.1"), ("bo", "10.0.0.9")]
    body = text(page.content)
    lon, lat = LONLAT
    assert f"1280 m square at {lat:.5f}° N, {lon:.5f}° E" in body
    assert "ana @ 10.0.0.1" in body and "raw GeoTIFF" in body
    assert "B04, SCL" in body  # ana's band set, in band order
    # No internal key on the list: not the square's raw text, not a content hash.
    keys = set(CachedChip.objects.values_list("spec_key", flat=True))
    assert not any(k in page.content.decode() for k in keys)
    assert "|1280" not in body


def test_totals_disk_and_next_flush(admin_site: Client, chip_store: Path) -> None:
    page = admin_site.get(LIST)
    on_disk = files(chip_store)
    totals = page.context["totals"]
    held = CachedChip.objects.all()
    # Independent of the figures' queries: the records one by one and the files on disk.
    assert (totals.files, totals.bytes) == (held.count(), sum(r.size_bytes for r in held))
    # 3 dates x (B04 shared by ana and bo, SCL ana's alone)
    assert totals.stored_files == len(on_disk) == 6 < totals.files == 9
    assert totals.stored_bytes == sum(p.stat().st_size for p in on_disk)
    per_client = {(c.username, c.ip): (c.files, c.bytes) for c in page.context["clients"]}
    for user, ip in (("ana", "10.0.0.1"), ("bo", "10.0.0.9")):
        mine = held.filter(cache__user__username=user, cache__ip=ip)
        assert per_client[(user, ip)] == (mine.count(), sum(r.size_bytes for r in mine))
    disk = shutil.disk_usage(chip_store)
    assert abs(page.context["disk"].free - disk.free) < 0.05 * disk.total
    assert page.context["disk"].total == disk.total
    body = text(page.content)
    assert "Free disk:" in body and "% free" in body and str(chip_store) in body
    # Next nightly flush: CHIP_CACHE_FLUSH_HOUR:MINUTE (00:00) Brussels, after now.
    flush_at = page.context["next_flush"]
    brussels = ZoneInfo("Europe/Brussels")
    now = dt.datetime.now(brussels)
    assert flush_at.astimezone(brussels).time() == dt.time(0, 0)
    assert dt.timedelta(0) < flush_at - now <= dt.timedelta(days=1)
    local = flush_at.astimezone(brussels)
    assert f"{local:%a} {local.day} {local:%b %Y} 00:00 Europe/Brussels" in body


def test_next_flush_across_the_day() -> None:
    brussels = ZoneInfo("Europe/Brussels")
    before = dt.datetime(2026, 3, 28, 23, 59, tzinfo=brussels)
    assert next_flush(before) == dt.datetime(2026, 3, 29, 0, 0, tzinfo=brussels)
    after = dt.datetime(2026, 3, 29, 0, 0, tzinfo=brussels)
    assert next_flush(after) == dt.datetime(2026, 3, 30, 0, 0, tzinfo=brussels)


def test_one_flush_action_and_flush_all_confirmed(admin_site: Client, chip_store: Path) -> None:
    page = admin_site.get(LIST)
    actions = re.findall(r'<option value="(\w+)"', page.content.decode())
    assert actions == ["flush_selected"]  # no "delete selected" beside it
    assert 'id="flush-all"' in page.content.decode()
    ana = ClientCache.objects.get(user__username="ana")
    admin_site.post(LIST, {"action": "flush_selected", "_selected_action": [ana.pk]}, follow=True)
    assert set(CachedChip.objects.values_list("cache__user__username", flat=True)) == {"bo"}
    assert len(files(chip_store)) == 3  # bo's B04 stays, ana's SCL went
    confirm = admin_site.get(f"{LIST}flush-all/")
    assert confirm.status_code == 200 and "Yes, flush all" in confirm.content.decode()
    assert CachedChip.objects.exists()  # asking is not flushing
    done = admin_site.post(f"{LIST}flush-all/", follow=True)
    assert done.status_code == 200 and "Flushed the whole cache" in done.content.decode()
    assert not CachedChip.objects.exists() and files(chip_store) == set()
    assert not ClientCache.objects.exists()


def test_a_cache_page_lists_its_files_by_product_and_download_path(admin_site: Client) -> None:
    ana = ClientCache.objects.get(user__username="ana")
    page = admin_site.get(f"{LIST}{ana.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for record in CachedChip.objects.filter(cache=ana).select_related("scene"):
        assert f"/dump/{ana.token}/{record.file_name}" in html
        assert record.scene is not None and record.scene.product_id in html
        assert record.spec_key not in html
    assert "Delete" not in text(page.content)
