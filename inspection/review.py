"""The review list of a dataset: its red parcels, then its yellow ones (the lights asked
for, in that order: red, yellow, green), each group by parcel id, one parcel in view.

Walked from the parcel in view, never sorted whole: each step is a range of the parcels'
(dataset_id, pid) index joined to the lights by their (parcel, year) index, so the list of
a dataset of a million parcels costs about what a short one does (bench/map.py measures
the map; the list was 4 to 7 s a page when sorted whole, 0.05 s walked). Only the counts
read the whole groups: the totals are kept a minute, and the position in a group is
counted only in groups of up to POSITION_UP_TO rows (else the page shows the id alone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, OuterRef, QuerySet, Subquery

from inspection.models import Decision
from markers.models import TrafficLight
from parcels.models import ParcelDataset

ORDER = ("red", "yellow", "green")
DEFAULT_LIGHTS = ("red", "yellow")
BEFORE, AFTER = 20, 79  # the rows listed around the parcel in view
POSITION_UP_TO = 50_000
COUNTS_SECONDS = 60


@dataclass
class ReviewWindow:
    """The parcel in view, its neighbours and the rows listed around it."""

    current: TrafficLight | None
    prev_pid: str | None = None
    next_pid: str | None = None
    rows: list[TrafficLight] = field(default_factory=list)
    first_number: int | None = 1  # the list position of rows[0], from 1 (None: not counted)
    position: int | None = 0  # the current one's, from 1 (None: not counted)
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewList:
    dataset: ParcelDataset
    lights: Sequence[str] = DEFAULT_LIGHTS
    practice: str | None = None

    @property
    def groups(self) -> list[str]:
        return [light for light in ORDER if light in self.lights]

    def group(self, light: str) -> QuerySet[TrafficLight]:
        """One light's rows, each with its parcel and its latest decision."""
        rows = TrafficLight.objects.filter(
            parcel__dataset=self.dataset, year=self.dataset.year, light=light
        )
        if self.practice is not None:
            rows = rows.filter(practice=self.practice)
        latest = Decision.objects.filter(parcel=OuterRef("parcel_id"), year=self.dataset.year)
        latest = latest.order_by("-decided_at", "-pk")
        return rows.select_related("parcel").annotate(
            verdict=Subquery(latest.values("verdict")[:1]),
            decided_light=Subquery(latest.values("light")[:1]),
            parcel_changed=Subquery(latest.values("parcel_changed")[:1]),
        )

    def find(self, pid: str) -> TrafficLight | None:
        """The row of parcel `pid`, if it is in this list."""
        for light in self.groups:
            row = self.group(light).filter(parcel__pid=pid).first()
            if row is not None:
                return row
        return None

    def after(self, row: TrafficLight | None, count: int) -> list[TrafficLight]:
        """Up to `count` rows after `row` (from the start with None), in list order."""
        found: list[TrafficLight] = []
        groups = self.groups
        start = groups.index(row.light) if row is not None else 0
        for i, light in enumerate(groups[start:]):
            rows = self.group(light)
            if i == 0 and row is not None:
                rows = rows.filter(parcel__pid__gt=row.parcel.pid)
            found += rows.order_by("parcel__pid")[: count - len(found)]
            if len(found) >= count:
                break
        return found

    def before(self, row: TrafficLight, count: int) -> list[TrafficLight]:
        """Up to `count` rows before `row`, nearest first."""
        found: list[TrafficLight] = []
        groups = self.groups
        start = groups.index(row.light)
        for i, light in enumerate(reversed(groups[: start + 1])):
            rows = self.group(light)
            if i == 0:
                rows = rows.filter(parcel__pid__lt=row.parcel.pid)
            found += rows.order_by("-parcel__pid")[: count - len(found)]
            if len(found) >= count:
                break
        return found

    def counts(self) -> dict[str, int]:
        """Rows per light; kept a minute (a page a keystroke must not count a million)."""
        key = (
            f"inspection:review:{self.dataset.pk}:{self.dataset.year}:{self.groups}:{self.practice}"
        )
        found = cache.get(key)
        if found is None:
            found = self._count()
            cache.set(key, found, COUNTS_SECONDS)
        return dict(found)

    def _count(self) -> dict[str, int]:
        rows = TrafficLight.objects.filter(
            parcel__dataset=self.dataset, year=self.dataset.year, light__in=self.groups
        )
        if self.practice is not None:
            rows = rows.filter(practice=self.practice)
        grouped = rows.values("light").annotate(n=Count("pk")).order_by()
        return {g["light"]: g["n"] for g in grouped}

    def window(self, pid: str | None) -> ReviewWindow:
        """The list around parcel `pid` (the first parcel without one); `current` None when
        `pid` is not in the list, or the list is empty."""
        current = self.find(pid) if pid is not None else next(iter(self.after(None, 1)), None)
        if current is None:
            return ReviewWindow(None)
        before = self.before(current, BEFORE)
        after = self.after(current, AFTER)
        counts = self.counts()
        groups = self.groups
        position = None
        if counts.get(current.light, 0) <= POSITION_UP_TO:
            earlier = sum(counts.get(g, 0) for g in groups[: groups.index(current.light)])
            rows = self.group(current.light).filter(parcel__pid__lt=current.parcel.pid)
            position = earlier + rows.count() + 1
        return ReviewWindow(
            current=current,
            prev_pid=before[0].parcel.pid if before else None,
            next_pid=after[0].parcel.pid if after else None,
            rows=[*reversed(before), current, *after],
            first_number=position - len(before) if position is not None else None,
            position=position,
            total=sum(counts.values()),
            counts=counts,
        )
