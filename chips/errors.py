"""The flows' errors over the shared kernel's (common.errors): the per-request limit, the
same for every flow, and the one rule for "nothing could be read"."""

from __future__ import annotations

from collections.abc import Iterable

from common.errors import ArchiveUnavailable, BadParameter


class TooManyChips(BadParameter):
    """More to make than a request may (MAX_CHIPS_PER_REQUEST; what the client holds does
    not count). `hint` says how to ask for less; with `suggested_end` (a date up to which a
    request fits) the HTML error page offers that request."""

    def __init__(
        self, count: int, limit: int, *, hint: str, param: str, suggested_end: str | None = None
    ) -> None:
        self.count = count
        self.limit = limit
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


def nothing_read(reasons: Iterable[str], *, made: bool) -> None:
    """Raise ArchiveUnavailable (503) with the first reason when something failed and
    nothing was made: the archive (or the store) failing is never the client's fault."""
    if made:
        return
    for reason in reasons:
        if reason:
            raise ArchiveUnavailable(reason)
