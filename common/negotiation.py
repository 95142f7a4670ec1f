"""Which form of answer a client wants: the composite page or JSON (wants_json), and the
API's content negotiation (FormatNegotiation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from .errors import BadParameter

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _media_types(accept: str) -> set[str]:
    """The media types an Accept header names (parameters and q-values left out)."""
    return {part.split(";", 1)[0].strip().lower() for part in accept[:4096].split(",")}


def wants_json(request: HttpRequest) -> bool:
    """JSON for `format=json` or an Accept that asks for JSON and not HTML; the page for
    everyone else: browsers, and `*/*` (curl, requests, the CbM client), as the contract
    says. The page's own polling sends `Accept: application/json` and `format=json`."""
    if request.GET.get("format") == "json":
        return True
    types = _media_types(request.META.get("HTTP_ACCEPT", ""))
    asks_json = any(t == "application/json" or t.endswith("+json") for t in types)
    return asks_json and not types & HTML_TYPES


def is_browser(request: HttpRequest) -> bool:
    """A browser (its Accept names HTML) not asking for JSON: errors answer it the HTML
    error page. Everyone else, `*/*` included, gets errors as JSON `{"error", "param"}`."""
    if request.GET.get("format") == "json":
        return False
    return bool(_media_types(request.META.get("HTTP_ACCEPT", "")) & HTML_TYPES)


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with `format=<one no renderer has>` a 400 naming `format`
    (DRF answers it with a bare 404)."""

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[Any]:
        offered = list(renderers)
        kept = [renderer for renderer in offered if renderer.format == format]
        if not kept:
            formats = sorted({str(r.format) for r in offered})
            raise BadParameter(
                f"format={format!r} is not one of: {', '.join(formats)}",
                param="format",
                choices=formats,
            )
        return kept
