"""A table answer, the one way the API serves columns: JSON (one list per column, the lists
parallel) or, with tsformat=csv, the same table as a CSV attachment (header row first).
parcelTimeSeries, markers and trafficLights answer through it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpResponse
from rest_framework.response import Response

# A file name a Content-Disposition header can carry as it is (no quote, no path).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def as_csv(columns: Mapping[str, Sequence[Any]]) -> str:
    """The columns as CSV, header row first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(columns)
    writer.writerow(names)
    writer.writerows(zip(*(columns[n] for n in names), strict=True))
    return out.getvalue()


def answer(
    columns: Mapping[str, Sequence[Any]], tsformat: str, filename: str
) -> Response | HttpResponse:
    """JSON columns, or (tsformat=csv) a CSV attachment named `filename` (made safe)."""
    if tsformat != "csv":
        return Response(dict(columns))
    response = HttpResponse(as_csv(columns), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_UNSAFE.sub("_", filename)}"'
    return response
