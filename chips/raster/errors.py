"""Errors of the chip core, free of Django so the raster code and workers can raise them.

The chip flow reports them per date (an unreadable scene keeps its date with a reason); when
nothing of a request could be cut it raises common.errors.ArchiveUnavailable: the archive
being down is never the user's fault.
"""

from __future__ import annotations


class ChipError(Exception):
    """Base of the raster core's errors."""


class SourceUnreadable(ChipError):
    """A band file cannot be opened or read (missing, truncated, network down)."""

    def __init__(self, href: str, reason: str) -> None:
        super().__init__(f"cannot read {href}: {reason}")
        self.href = href
        self.reason = reason


class ChipWriteFailed(ChipError):
    """The chip file could not be written into the store (disk full, read-only folder)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason
