"""Renderers that let content negotiation accept what the background endpoints answer
(the views build those answers themselves), and errors that stay JSON whatever was asked."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PlainTextRenderer(JSONRenderer):
    """`Accept: text/plain`: the file's URL (backgroundBy*)."""

    media_type = "text/plain"
    format = "txt"


class PngRenderer(JSONRenderer):
    """`Accept: image/png`: a map tile."""

    media_type = "image/png"
    format = "png"


class JsonErrorsView(APIView):
    """Errors answer JSON (the contract's shape), even to a client that asked for text/plain
    or an image (or format=txt/png)."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and isinstance(renderer, PlainTextRenderer | PngRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
