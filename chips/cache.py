"""The per-client chip cache: tokens, records, the file store and its flush.

Files live once in a content-addressed store (CHIP_STORE/raw/<key[:2]>/<key>.tif, the key
being ChipSpec.key), so clients asking for the same chip share it; the database says which
client holds which file under which name, and only recorded files are ever served.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from chips.models import CachedChip, ClientCache
from chips.raster.chipspec import ChipSpec

# Temporary files older than this are left over from a dead writer; the flush removes them.
STALE_PART_SECONDS = 3600


def square_key(*, lon: float, lat: float, chipsize: int) -> str:
    """The chip square a cache is for; 1e-6 degree is about 0.1 m."""
    return f"{lon:.6f}|{lat:.6f}|{chipsize}"


def stored_relpath(spec: ChipSpec) -> str:
    return f"raw/{spec.key[:2]}/{spec.key}.tif"


def store_path(relpath: str) -> Path:
    return Path(settings.CHIP_STORE) / relpath


def client_cache(*, user: User, ip: str, square: str) -> ClientCache:
    """The client's cache for a square, created with a fresh token on first use."""
    try:
        cache, _ = ClientCache.objects.get_or_create(user=user, ip=ip, square=square)
    except IntegrityError:  # two first requests at once: the other one created it
        cache = ClientCache.objects.get(user=user, ip=ip, square=square)
    return cache


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def held_chips(*, cache: ClientCache, specs: Iterable[ChipSpec]) -> dict[str, CachedChip]:
    """{spec key: record} of the specs the client already holds, file present on disk
    with the size recorded. A record whose file went missing (a flush racing with this
    client) or came back short (files are not fsynced: a power loss may truncate one)
    is dropped, so the chip is cut again rather than answered broken."""
    keys = {s.key for s in specs}
    held: dict[str, CachedChip] = {}
    stale: list[int] = []
    for record in CachedChip.objects.filter(cache=cache, spec_key__in=keys):
        if _file_size(store_path(record.stored_path)) == record.size_bytes:
            held[record.spec_key] = record
        else:
            stale.append(record.pk)
    if stale:
        CachedChip.objects.filter(pk__in=stale).delete()
    return held


def shared_file(spec: ChipSpec) -> Path | None:
    """The store's file for a spec if another request already cut it. Its mtime is
    refreshed so that a flush running now leaves it alone (see flush_files)."""
    path = store_path(stored_relpath(spec))
    try:
        os.utime(path)
    except OSError:  # not cut yet, or the store is unusable (the cut will say why)
        return None
    return path


@dataclass(frozen=True)
class DumpFile:
    """A file /dump/ may serve, and the user whose cache holds it (for the request log)."""

    path: Path
    owner_id: int


def dump_file(*, token: str, file_name: str) -> DumpFile | None:
    """The file served at /dump/<token>/<file_name>: only a recorded chip of that token."""
    record = (
        CachedChip.objects.filter(cache__token=token, file_name=file_name)
        .values_list("stored_path", "cache__user_id")
        .first()
    )
    if record is None:
        return None
    stored_path, owner_id = record
    path = store_path(stored_path)
    return DumpFile(path, owner_id) if path.is_file() else None


@dataclass(frozen=True)
class FlushResult:
    records: int
    files: int


def chips_to_flush(
    *, username: str | None = None, ip: str | None = None, older_than: dt.timedelta | None = None
) -> QuerySet[CachedChip]:
    chips = CachedChip.objects.all()
    if username is not None:
        chips = chips.filter(cache__user__username=username)
    if ip is not None:
        chips = chips.filter(cache__ip=ip)
    if older_than is not None:
        chips = chips.filter(created__lt=timezone.now() - older_than)
    return chips


def flush_cache(
    *, username: str | None = None, ip: str | None = None, older_than: dt.timedelta | None = None
) -> FlushResult:
    """Forget the selected records, then delete the files no client holds any more.
    With no filter, the whole cache goes (the nightly flush)."""
    started = time.time()
    with transaction.atomic():
        chips = chips_to_flush(username=username, ip=ip, older_than=older_than)
        keys = set(chips.values_list("spec_key", flat=True))
        records, _ = chips.delete()
        # Caches left without chips go too, so their tokens stop existing.
        ClientCache.objects.filter(chips__isnull=True).delete()
    whole = username is None and ip is None and older_than is None
    files = flush_files(keys=None if whole else keys, started=started)
    return FlushResult(records=records, files=files)


# The store's two kinds of file: raw GeoTIFF chips and rendered composites (chips.composite).
STORE_KINDS = (("raw", ".tif"), ("png", ".png"))


def flush_files(*, keys: set[str] | None, started: float) -> int:
    """Delete store files of `keys` (all when None) that no record holds, raw chips and
    composites alike. A file touched after `started` is being reused by a request right
    now: it stays."""
    store = Path(settings.CHIP_STORE)
    removed = 0
    for folder, suffix in STORE_KINDS:
        root = store / folder
        if not root.is_dir():
            continue
        if keys is None:
            candidates = list(root.glob(f"*/*{suffix}"))
            kind_keys = {p.stem for p in candidates if not p.name.startswith(".part-")}
        else:
            kind_keys = keys
        held = set(
            CachedChip.objects.filter(spec_key__in=kind_keys).values_list("spec_key", flat=True)
        )
        for key in kind_keys - held:
            path = root / key[:2] / f"{key}{suffix}"
            try:
                if path.stat().st_mtime < started:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        # Partial files of writers that died mid-write (they never got a final name).
        for part in root.glob("*/.part-*"):
            try:
                if part.stat().st_mtime < started - STALE_PART_SECONDS:
                    part.unlink()
            except FileNotFoundError:
                continue
    return removed
