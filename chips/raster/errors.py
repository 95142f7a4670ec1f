"""Errors of the chip core, free of Django so the raster code and workers can raise them.

The chip flow reports them per date (an unreadable scene keeps its date with a reason); when
nothing of a request could be cut it raises common.errors.ArchiveUnavailable: the archive
being down is never the user's fault.

Their messages go to clients (a date's reason, a 503): they name the product and the band
and say why, never where the file lives (an archive href, a chip store path). The path is
kept on the error (`href`, `path`) for the server log.
"""

from __future__ import annotations

import posixpath
import re

# A product id as the archive names its folders (S2B_MSIL2A_..., optionally .SAFE).
_PRODUCT = re.compile(r"S2[A-D]_MSI(?:L1C|L2A)_[0-9A-Za-z_]+?(?=\.SAFE|/|$)")
# A band in a file name: ..._B04_10m.jp2, B8A.tif, SCL_20m.jp2.
_BAND = re.compile(r"(?<![A-Za-z0-9])(B0[1-9]|B1[0-2]|B8A|SCL|AOT|WVP|TCI)(?![A-Za-z0-9])")
# A path or URL in a reason (GDAL quotes the file it failed on): starts after a space,
# a quote or the start, with a scheme:// or a slash.
_PATH = re.compile(r"""(?<![\w.])(?:[A-Za-z][A-Za-z0-9+.-]*://|/)[^\s'"`,;()]*""")


def describe(href: str, *, product: str | None = None, band: str | None = None) -> str:
    """ "<product>: <band>" of a band file, from what the caller knows or else its href; the
    file's own name where the href names neither (never its folders)."""
    name = posixpath.basename(href.rstrip("/")) or "band file"
    if product is None:
        found = _PRODUCT.search(href)
        # A STAC item's files sit in a folder named after the item.
        parent = posixpath.basename(posixpath.dirname(href.rstrip("/")))
        product = found.group(0) if found else parent or None
    if band is None:
        found = _BAND.search(name)
        band = found.group(1) if found else None
    if product and band:
        return f"{product}: {band}"
    return product or band or name


def scrub(reason: str) -> str:
    """`reason` with every path or URL in it cut to its file name."""
    return _PATH.sub(lambda m: posixpath.basename(m.group(0).rstrip("/")) or "<path>", reason)


class ChipError(Exception):
    """Base of the raster core's errors. Picklable with their fields (`href`, `reason`...),
    so a pool worker (another process) can hand one back as its result."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type[ChipError], args: tuple[object, ...], state: dict[str, object]) -> ChipError:
    """A ChipError as pickled: its message as it was, its fields, without running the
    subclass's __init__ again (it builds the message from other arguments)."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class SourceUnreadable(ChipError):
    """A band file cannot be opened or read (missing, truncated, network down)."""

    def __init__(
        self, href: str, reason: str, *, product: str | None = None, band: str | None = None
    ) -> None:
        what = describe(href, product=product, band=band)
        super().__init__(
            f"{what} cannot be read: {scrub(reason.replace(href, posixpath.basename(href)))}"
        )
        self.href = href
        self.reason = reason


class ChipWriteFailed(ChipError):
    """The chip file could not be written into the store (disk full, read-only folder)."""

    def __init__(
        self, path: str, reason: str, *, product: str | None = None, band: str | None = None
    ) -> None:
        what = f"the chip of {product}: {band}" if product else "a chip"
        reason_text = scrub(reason.replace(path, posixpath.basename(path)))
        super().__init__(f"{what} cannot be stored: {reason_text}")
        self.path = path
        self.reason = reason
