"""{% inspection_hub hidden_fields as hub %}: the parcel page's hub (inspection.hub) for the
parcel the chipsByParcelID page shows, named by its hidden form fields (aoi, year, ptype,
pid). The page checked the caller's AOI already; the look-up here checks it again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template

from common.errors import ServiceError
from inspection.hub import parcel_hub
from parcels.params import DatasetKey
from parcels.selectors import parcel_get

register = template.Library()


@register.simple_tag(takes_context=True)
def inspection_hub(
    context: template.Context, fields: Sequence[tuple[str, str]], form: dict[str, Any] | None
) -> dict[str, Any] | None:
    request = context.get("request")
    given = dict(fields)
    try:
        key = DatasetKey(given["aoi"], int(given["year"]), given.get("ptype", ""))
        parcel = parcel_get(user=request.user, key=key, pid=given["pid"])  # type: ignore[union-attr]
    except (KeyError, ValueError, ServiceError, AttributeError):
        return None
    form = form or {}
    return parcel_hub(parcel, start=form.get("start_date"), end=form.get("end_date"))
