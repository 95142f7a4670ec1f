"""What the published OpenAPI schema (/api/schema/, drf-spectacular) needs beside the views'
declarations: the error answer shared by every endpoint, the HTTP Basic scheme of
common.auth and the API token scheme.

Imported by cbmweb.urls, so that the authentication extension is registered before any
schema is generated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_COMPONENT = "ErrorAnswer"
ERROR_DESCRIPTIONS = {
    400: "a parameter is missing or malformed (`param` names it)",
    401: 'no or wrong credentials (`WWW-Authenticate: Basic realm="cbmweb"`)',
    403: "outside the caller's AOI grant (never says whether the thing exists)",
    404: "unknown dataset, parcel, product, job or file",
    413: "the body is over the upload limit (`param` is `body`)",
    429: "over a quota; `Retry-After` says when to try again",
    503: "a backend (database, broker, archive) is down",
}


ERROR_SCHEMA: dict[str, Any] = {  # ErrorAnswer as drf-spectacular writes it, for hooks
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "param": {"type": "string"},
        "choices": {"type": "array", "items": {}},
        "windows": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "minItems": 2,
                "maxItems": 2,
            },
        },
    },
    "required": ["error"],
}


class ErrorAnswer(serializers.Serializer):
    """Every error answer."""

    error = serializers.CharField(help_text="what is wrong and what is allowed")
    param = serializers.CharField(required=False, help_text="the parameter at fault")
    choices = serializers.ListField(
        required=False, help_text="the values the parameter takes, where they are few"
    )
    windows = serializers.ListField(
        child=serializers.ListField(child=serializers.DateField(), min_length=2, max_length=2),
        required=False,
        help_text="over the per-request chip limit: [start_date, end_date] windows that each "
        "fit, in order, together the window asked for",
    )


def error_responses(*statuses: int, html: bool = False) -> dict[Any, OpenApiResponse]:
    """extend_schema `responses` for these error statuses; `html`: the composite pages, which
    answer browsers with an HTML error page."""
    answers: dict[Any, OpenApiResponse] = {}
    for status in statuses:
        answer = OpenApiResponse(ErrorAnswer, description=ERROR_DESCRIPTIONS[status])
        if html:
            answers[(status, "application/json")] = answer
            answers[(status, "text/html")] = OpenApiResponse(
                str, description=ERROR_DESCRIPTIONS[status] + " (a page, for browsers)"
            )
        else:
            answers[status] = answer
    return answers


class BasicScheme(OpenApiAuthenticationExtension):
    """common.auth.BasicAuthentication is DRF's Basic with a credentials cache."""

    target_class = "common.auth.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


class TokenScheme(OpenApiAuthenticationExtension):
    """DRF's TokenAuthentication: API tokens for scripts, made and revoked in the admin."""

    target_class = "rest_framework.authentication.TokenAuthentication"
    name = "tokenAuth"
    priority = 1  # over drf-spectacular's own description of it

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Token <key>`; the key is made (and revoked) by "
            "an operator in the admin, Auth Token -> Tokens",
        }
