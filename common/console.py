"""What the management commands share for their console output."""

from __future__ import annotations

from typing import TextIO

from django.core.management.base import OutputWrapper


def raw_stream(wrapper: OutputWrapper) -> TextIO:
    """The stream under a command's stdout/stderr wrapper: tqdm needs it, as the wrapper
    ends every write with a newline."""
    stream: TextIO = wrapper._out  # type: ignore[assignment]  # private; stubbed via __getattr__
    return stream
