"""Which form of answer a client of the composite pages wants: the page, or JSON."""

from __future__ import annotations

from django.http import HttpRequest


def wants_json(request: HttpRequest) -> bool:
    """Browsers ask for text/html; the CbM client and scripts send */* or JSON."""
    if request.GET.get("format") == "json":
        return True
    return "text/html" not in request.META.get("HTTP_ACCEPT", "")
