"""The parcel page's background panel (common.page_panels): the image of the caller's
default source over the ground the chips show (the chip square's side: EPSG:3857 metres
are 1/cos(latitude) ground metres), the parcel outlined, with the source's attribution. A
source that fails shows a note, never breaks the page; its wait is short."""

from __future__ import annotations

import math
from typing import Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest

from background.flow import SourceUnavailable, background_image
from background.sources import resolve
from common.errors import BadParameter
from common.page_panels import ParcelWindow
from ops.client_ip import client_ip

PANEL_PX = 256
PAGE_DEADLINE_S = 5.0


def background_panel(request: HttpRequest, window: ParcelWindow) -> dict[str, Any] | None:
    try:
        source = resolve(request.user, None)
    except BadParameter:  # no source for this user: no panel
        return None
    centre = window.parcel.centroid
    extend = min(10000.0, window.chipsize / math.cos(math.radians(centre.y)))
    context: dict[str, Any] = {"template": "background/parcel_background.html",
                               "source": source, "size": PANEL_PX}  # fmt: skip
    try:
        image = background_image(
            user=cast(User, request.user), ip=client_ip(request), source=source, lon=centre.x,
            lat=centre.y, chipsize=PANEL_PX, extend=round(extend, 1), iformat="png",
            outline=window.parcel.geom, deadline=PAGE_DEADLINE_S,
        )  # fmt: skip
    except SourceUnavailable as exc:
        context["error"] = exc.message
        return context
    context["src"] = image.url
    return context
