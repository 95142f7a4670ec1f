"""Which form of answer a client wants: the composite page or JSON (wants_json), and the
API's content negotiation (FormatNegotiation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from .errors import BadParameter


def wants_json(request: HttpRequest) -> bool:
    """Browsers ask for text/html; the CbM client and scripts send */* or JSON."""
    if request.GET.get("format") == "json":
        return True
    return "text/html" not in request.META.get("HTTP_ACCEPT", "")


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with `format=<one no renderer has>` a 400 naming `format`
    (DRF answers it with a bare 404)."""

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[Any]:
        offered = list(renderers)
        kept = [renderer for renderer in offered if renderer.format == format]
        if not kept:
            names = ", ".join(sorted({str(r.format) for r in offered}))
            raise BadParameter(f"format={format!r} is not one of: {names}", param="format")
        return kept
