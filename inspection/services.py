"""Writes of the inspector's pages: a decision on a parcel's light."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from common.errors import BadParameter
from inspection.models import Decision, Verdict, parcel_digest
from markers.models import TrafficLight
from parcels.models import Parcel, ParcelDataset

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


def reattach_decisions(dataset: ParcelDataset, **_: Any) -> int:
    """After an import of the dataset (parcels.signals.dataset_imported, in its transaction):
    the decisions on its (aoi, year, ptype) that lost their parcel to a --replace go to the
    new parcel of the same pid, flagged `parcel_changed` where its crop or geometry differ
    from the ones decided on. Decisions are few (a person makes each): read in Python, which
    SpatiaLite's SQL could not hash. Returns how many were re-attached."""
    orphans = Decision.objects.filter(
        aoi=dataset.aoi, year=dataset.year, ptype=dataset.ptype, parcel__isnull=True
    )
    by_pid: dict[str, list[Decision]] = {}
    for decision in orphans:
        by_pid.setdefault(decision.pid, []).append(decision)
    if not by_pid:
        return 0
    moved = []
    for parcel in Parcel.objects.filter(dataset=dataset, pid__in=list(by_pid)):
        digest = parcel_digest(parcel)
        for decision in by_pid[parcel.pid]:
            decision.parcel = parcel
            decision.parcel_changed = decision.parcel_changed or decision.parcel_digest != digest
            moved.append(decision)
    Decision.objects.bulk_update(moved, ["parcel", "parcel_changed"])
    return len(moved)
