"""Writes of the inspector's pages: a decision on a parcel's light."""

from __future__ import annotations

from django.contrib.auth.models import User

from common.errors import BadParameter
from inspection.models import Decision, Verdict
from markers.models import TrafficLight
from parcels.models import Parcel

COMMENT_MAX = 2000


def record_decision(*, user: User, parcel: Parcel, verdict: str, comment: str) -> Decision:
    """A new decision on the parcel's current light (the earlier ones stay: its history).
    The light is the one recorded now; a parcel without one has nothing to decide on."""
    if verdict not in Verdict.values:
        raise BadParameter(f"verdict={verdict!r}: use {', '.join(Verdict.values)}", param="verdict")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise BadParameter(f"comment is longer than {COMMENT_MAX} characters", param="comment")
    year = parcel.dataset.year
    light = TrafficLight.objects.filter(parcel=parcel, year=year).first()
    if light is None:
        raise BadParameter(
            f"parcel {parcel.pid!r} has no traffic light yet: nothing to decide on", param="pid"
        )
    return Decision.objects.create(
        parcel=parcel, year=year, verdict=verdict, comment=comment, user=user,
        username=user.get_username(), light=light.light, reason_code=light.reason_code,
        detector=light.detector, rules=light.rules,
    )  # fmt: skip
