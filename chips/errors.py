"""The flows' errors over the shared kernel's (common.errors): the per-request limit, the
same for every flow, and the one rule for "nothing could be read"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from common.errors import ArchiveUnavailable, BadParameter


def fitting_windows(
    days: Sequence[dt.date], *, start: dt.date, end: dt.date, limit: int
) -> list[tuple[str, str]]:
    """[start, end] cut into successive date windows (ISO dates, both ends included) that
    each hold at most `limit` of `days` (the sensing days, in order, of the chips still to
    make; a day's chips stay in one window): the requests, one after the other, that ask
    for the same within the per-request limit."""
    windows: list[tuple[str, str]] = []
    first, count = start, 0
    for day in days:
        if count >= limit and day > first:
            windows.append((first.isoformat(), (day - dt.timedelta(days=1)).isoformat()))
            first, count = day, 0
        count += 1
    windows.append((first.isoformat(), end.isoformat()))
    return windows


class TooManyChips(BadParameter):
    """More to make than a request may (MAX_CHIPS_PER_REQUEST; what the client holds does
    not count). `hint` says how to ask for less; with `suggested_end` (a date up to which a
    request fits) the HTML error page offers that request; with `windows` (fitting_windows)
    the answer lists the date windows that each fit, for scripts to ask in turn."""

    def __init__(
        self,
        count: int,
        limit: int,
        *,
        hint: str,
        param: str,
        suggested_end: str | None = None,
        windows: list[tuple[str, str]] | None = None,
    ) -> None:
        self.count = count
        self.limit = limit
        self.windows = windows
        if windows and suggested_end is None:
            suggested_end = windows[0][1]
        self.suggested_end = suggested_end
        example = f", e.g. end_date={suggested_end}" if suggested_end else ""
        super().__init__(
            f"{count} chips to cut, at most {limit} per request (chips already in your cache "
            f"do not count): {hint}{example}, then ask for the rest",
            param=param,
        )
        if suggested_end:
            self.title = f"Too many chips: {count}, at most {limit} per request"
            self.hint = (
                f"Shorten the window: up to end_date={suggested_end} fits in one request; "
                "ask for the rest once those are cut (chips you hold do not count)."
            )
            self.retry_params = {"end_date": suggested_end}

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.windows:
            body["windows"] = [list(w) for w in self.windows]
        return body


def nothing_read(reasons: Iterable[str], *, made: bool) -> None:
    """Raise ArchiveUnavailable (503) with the first reason when something failed and
    nothing was made: the archive (or the store) failing is never the client's fault."""
    if made:
        return
    for reason in reasons:
        if reason:
            raise ArchiveUnavailable(reason)
