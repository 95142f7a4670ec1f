"""The JSON body parser of the API: DRF's, bounded. A body over DATA_UPLOAD_MAX_MEMORY_SIZE
is a PayloadTooLarge (413), one nested deeper than MAX_DEPTH a ParseError (400), like any
body that is not JSON; neither ever reaches the views as a RecursionError."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import PayloadTooLarge

# GeoJSON needs 5 levels (a Feature's MultiPolygon's rings' points' numbers), a batch 2.
MAX_DEPTH = 32


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(raw: bytes | str) -> Any:
    """`raw` parsed, or ParseError naming what is wrong (not JSON, nested too deep)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ParseError(f"the JSON body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ParseError(f"the body is not JSON: {exc}") from None
    if json_depth(value) > MAX_DEPTH:
        raise ParseError(f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    return value


class BoundedJSONParser(JSONParser):
    """DEFAULT_PARSER_CLASSES' JSON parser: the body read up to the upload limit, parsed with
    load_json."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes", param="body")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"the body is not {encoding} text") from None
        return load_json(text)
