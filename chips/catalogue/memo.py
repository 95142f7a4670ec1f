"""What a process read from the catalogue, kept while the catalogue stays as it was.

A warm chip request asks the same questions of the catalogue as the last one (which scenes
serve this square and window, which band-file windows they give) and used to answer them
again each time: a spatial query over the window's candidates and the plan of every chip,
more than half of the request. The answers only change when the catalogue does, and
CatalogueVersion's number changes with every scene or band file added, removed or moved
(database triggers: any writer, any process). So each answer is kept under the number it
was read with, and one single-row query per use says whether it still holds.

The number is read BEFORE the answer is computed: a change committed in between gives an
answer newer than its number, which the next reader (seeing the new number) recomputes;
never an older answer under a newer number.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction

from chips.catalogue.models import CatalogueVersion

_TABLE = CatalogueVersion._meta.db_table
T = TypeVar("T")


def catalogue_version() -> tuple[str, int] | None:
    """(database name, the catalogue's number now), or None when it cannot be told (nothing
    is kept then). A database emptied by a flush lost its row: a new one is made, with a
    random number of its own."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {_TABLE} WHERE id = 1")  # noqa: S608 (a constant)
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                made, _ = CatalogueVersion.objects.get_or_create(
                    pk=1, defaults={"version": secrets.randbits(62)}
                )
        except IntegrityError:  # made by another process between the two statements
            return None
        row = (made.version,)
    return str(connection.settings_dict["NAME"]), int(row[0])


class Memo:
    """A bounded map of answers by key (the key holds the catalogue's number), least
    recently used dropped first; shared by the threads of a process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def through(self, key: Hashable, compute: Callable[[], T], *, keep: Callable[[T], bool]) -> T:
        """The answer to `key` on the catalogue as it is now: the one kept, or `compute()`'s,
        kept when `keep` says so. Answers are shared between callers: make them immutable."""
        version = catalogue_version()
        if version is None:
            return compute()
        known = self.get((version, key))
        if known is not None:
            return known
        value = compute()
        if keep(value):
            self.put((version, key), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
