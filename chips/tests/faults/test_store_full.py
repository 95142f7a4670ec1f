"""The chip store full (a 2 MB tmpfs mounted by the test): the chips that fit are
delivered, the others are reported per date; no partial file is left, every record names a
complete file; after the nightly flush the same request is delivered whole.

Mounting needs root (CI and the development machines run as root): elsewhere the test
skips, saying so.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rasterio
from django.contrib.auth.models import User
from django.test import Client

from chips.models import CachedChip
from chips.store import cache
from testing import composite_archive as fx
from testing.auth import basic

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def small_store(tmp_path: Path, settings: Any) -> Iterator[Path]:
    mount = tmp_path / "store"
    mount.mkdir()
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],  # noqa: S607
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    settings.CHIP_STORE = mount
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S603, S607


def url(band: str) -> str:
    lon, lat = fx.centre_lonlat()
    return (
        f"/query/rawChipByLocation?lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01"
        f"&end_date=2024-06-30&band={band}&chipsize=2560"
    )


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def assert_consistent(store: Path) -> None:
    """No partial file; each chip file complete; each record's file there, of its size."""
    files = [p for p in store.rglob("*") if p.is_file() and p.name != "filler"]
    assert not [p for p in files if p.name.startswith(".part-")], files
    for path in files:
        with rasterio.open(path) as chip:
            chip.read(1)  # the whole file reads
    for record in CachedChip.objects.all():
        path = cache.store_path(record.stored_path)
        assert path.is_file() and path.stat().st_size == record.size_bytes, record


def test_full_store_fails_the_chips_that_do_not_fit_and_recovers_after_a_flush(
    tmp_path: Path, small_store: Path, client: Client, alice: User, bob: User
) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 6)
    # Another client's chips take part of the store.
    assert client.get(url("B08"), **basic("bob")).status_code == 200
    chip_size = max(p.stat().st_size for p in small_store.rglob("*.tif"))
    # Room for two and a half more chips.
    (small_store / "filler").write_bytes(b"\0" * (free_bytes(small_store) - 5 * chip_size // 2))

    response = client.get(url("B04"), **basic("alice"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["dates"] == [s.sensing_key for s in scenes]  # every date listed
    delivered = [c for c in body["chips"] if c]
    failed = [e for e in body["errors"] if e]
    assert delivered and failed and len(delivered) + len(failed) == 6
    assert all("No space left on device" in e for e in failed), failed
    for chip in delivered:
        assert client.get(chip).status_code == 200
    assert_consistent(small_store)
    assert CachedChip.objects.filter(cache__user=alice).count() == len(delivered)

    # The nightly flush empties the cache: the same request is then delivered whole.
    cache.flush_cache()
    again = client.get(url("B04"), **basic("alice")).json()
    assert len([c for c in again["chips"] if c]) == 6 and "errors" not in again, again
    assert_consistent(small_store)
