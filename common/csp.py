"""Content-Security-Policy for every HTML answer: the pages load nothing from outside.

A nonce per request (request.csp_nonce) opens the templates' own inline <style> and
<script> blocks; nothing else inline runs or applies (no style="" attributes, no on*=
handlers: the templates use classes and script-set properties instead). Django 5.2 has no
CSP of its own, hence this small middleware.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

NONCE_ATTRIBUTE = "csp_nonce"


def policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",  # chips from /dump/, the empty favicon
            "connect-src 'self'",  # the composite page polls its job
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        nonce = secrets.token_urlsafe(16)
        setattr(request, NONCE_ATTRIBUTE, nonce)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", policy(nonce))
        return response
