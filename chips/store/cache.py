"""The per-client chip cache: tokens, records, the file store and its flush.

Files live once in a content-addressed store (CHIP_STORE/raw/<key[:2]>/<key>.tif for raw
chips, the key being ChipSpec.key; CHIP_STORE/png/... for composites), so clients asking for
the same file share it; the database says which client holds which file under which name
and its size, and only recorded files of that size are ever served: one rule for every kind.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Sequence
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


def dump_url(token: str, file_name: str) -> str:
    """Where a client fetches a file it holds (chips.web.dump serves it)."""
    return f"/dump/{token}/{file_name}"


@dataclass(frozen=True)
class ChipRecord:
    """A file to record in a client's cache once it is in the store."""

    file_name: str
    spec_key: str
    stored_path: str
    scene_id: int | None  # the Sentinel-2 scene; None: an S1 chip or a background image
    band: str
    size_bytes: int
    sar_scene_id: int | None = None  # the Sentinel-1 product


def record_chips(records: Sequence[ChipRecord], *, cache_id: int) -> None:
    """Record files in a client's cache, in one statement. A record of the same name is
    replaced (a refresh, or a unit redone after its worker died): never duplicated."""
    if not records:
        return
    CachedChip.objects.bulk_create(
        [
            CachedChip(
                cache_id=cache_id,
                file_name=r.file_name,
                spec_key=r.spec_key,
                stored_path=r.stored_path,
                scene_id=r.scene_id,
                sar_scene_id=r.sar_scene_id,
                band=r.band,
                size_bytes=r.size_bytes,
            )
            for r in records
        ],
        update_conflicts=True,
        unique_fields=["cache", "file_name"],
        update_fields=["spec_key", "stored_path", "scene", "sar_scene", "band", "size_bytes"],
    )


def client_cache(*, user: User, ip: str, square: str) -> ClientCache:
    """The client's cache for a square, created with a fresh token on first use."""
    # The warm case first, without the model's ordering (one row at most: unique together).
    found = list(ClientCache.objects.filter(user=user, ip=ip, square=square).order_by()[:1])
    if found:
        return found[0]
    try:
        cache, _ = ClientCache.objects.get_or_create(user=user, ip=ip, square=square)
    except IntegrityError:  # two first requests at once: the other one created it
        cache = ClientCache.objects.get(user=user, ip=ip, square=square)
    return cache


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


@dataclass(frozen=True)
class HeldFile:
    """A file a client holds: its record's key and where it lies in the store."""

    pk: int
    spec_key: str
    stored_path: str
    size_bytes: int


def held_chips(*, cache: ClientCache, specs: Iterable[ChipSpec]) -> dict[str, HeldFile]:
    """{spec key: file} of the raw chips the client already holds (see held)."""
    return held(cache=cache, keys={s.key for s in specs})


def held(*, cache: ClientCache, keys: Iterable[str]) -> dict[str, HeldFile]:
    """{key: file} of the files (raw chips, composites) the client already holds, file
    present on disk with the size recorded. A record whose file went missing (a flush
    racing with this client) or came back short (files are not fsynced: a power loss may
    truncate one) is dropped, so the file is made again rather than answered broken."""
    keys = set(keys)
    held: dict[str, HeldFile] = {}
    stale: list[int] = []
    # Plain rows, not model instances: building 24 records cost more than their query.
    rows = (
        CachedChip.objects.filter(cache=cache, spec_key__in=keys)
        .order_by()
        .values_list("pk", "spec_key", "stored_path", "size_bytes")
    )
    root = str(settings.CHIP_STORE)
    for row in rows:
        record = HeldFile(*row)
        size = _size(os.path.join(root, record.stored_path))
        if size == record.size_bytes:
            held[record.spec_key] = record
            continue
        stale.append(record.pk)
        if size is not None:  # short: no request may reuse it either, it is made again
            store_path(record.stored_path).unlink(missing_ok=True)
    if stale:
        CachedChip.objects.filter(pk__in=stale).delete()
    return held


def shared_files(files: Sequence[tuple[str, str]]) -> dict[str, tuple[Path, int]]:
    """{key: (path, size)} of the (key, stored path) pairs whose file another request
    already made. Files appear only whole (written under a temporary name, then renamed);
    where a record holds the key's size, the file must have it too (a write cut short by a
    power loss is made again, not reused). The mtime of those reused is refreshed so that a
    flush running now leaves them alone (see flush_files)."""
    if not files:
        return {}
    sizes = dict(
        CachedChip.objects.filter(spec_key__in=[k for k, _ in files])
        .values_list("spec_key", "size_bytes")
        .distinct()
    )
    found: dict[str, tuple[Path, int]] = {}
    for key, relpath in files:
        path = store_path(relpath)
        size = _size(str(path))
        if size is None or sizes.get(key, size) != size:
            continue
        try:
            os.utime(path)
        except OSError:  # gone meanwhile: made again
            continue
        found[key] = (path, size)
    return found


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


def flush_clients(caches: QuerySet[ClientCache]) -> FlushResult:
    """Flush whole client caches (the admin's action): their records, their tokens, then
    the files no client holds any more."""
    started = time.time()
    with transaction.atomic():
        keys = set(CachedChip.objects.filter(cache__in=caches).values_list("spec_key", flat=True))
        records = CachedChip.objects.filter(cache__in=caches).count()
        caches.delete()
    return FlushResult(records=records, files=flush_files(keys=keys, started=started))


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


# The store's kinds of file: raw GeoTIFF chips, rendered composites (chips.composite) and
# background images, GeoTIFF or PNG (the background app: bg/<key[:2]>/<key>.<format>).
STORE_KINDS = (("raw", ".tif"), ("png", ".png"), ("bg", ".tif"), ("bg", ".png"))


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
