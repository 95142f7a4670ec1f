"""Sentinel-1 and Sentinel-2 events together (docs/markers.md, "Sentinel-1").

- An S2 event that an S1 event of the same kind brackets too (the brackets meet, give or
  take `SLACK_DAYS`) is confirmed: sensors `S1+S2`, dated within the narrower common
  bracket (coherence pairs are 6 days apart, clear S2 dates often further), its confidence
  the two looks combined as independent evidence (their odds multiplied: S2's calibrated
  confidence, S1's physical one from even odds, markers.detect.s1), the raw scores as
  1 - (1 - s2)(1 - s1).
- An S1 event S2 could not have seen is added with sensors `S1`, with S1's physical
  confidence (one orbit alone stays below even odds): no valid S2 observation
  on one side of it, or S2's bracket around it wider than `S2_BLIND_DAYS` (a cut sward
  regrows 70 % within about three weeks: a longer cloudy gap can hide a cut entirely).
- An S1 event inside a well-observed S2 stretch where S2 saw nothing is dropped: the
  optical canopy signal is the more direct one there (coherence also falls with rain and
  rises as a crop dries).
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from markers.detect.s1 import S1Event
from markers.detect.s2 import Event

SLACK_DAYS = 3
S2_BLIND_DAYS = 24
KINDS = ("mowing", "harvest", "ploughing")


def _meets(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] - SLACK_DAYS <= b[1] and b[0] - SLACK_DAYS <= a[1]


def _blind(valid_days: list[int], day: int) -> bool:
    """Could S2 not have seen a change on `day`? (no valid date on one side of it, or the
    two around it too far apart)"""
    i = bisect.bisect_left(valid_days, day)
    if i == 0 or i >= len(valid_days):
        return True
    return valid_days[i] - valid_days[i - 1] > S2_BLIND_DAYS


def fuse(s2_events: list[Event], s1_events: list[S1Event], valid_days: list[int]) -> list[Event]:
    """The events of both sensors, in time order. `valid_days`: S2's valid observations."""
    used: set[int] = set()
    out: list[Event] = []
    for e in s2_events:
        match = None
        if e.kind in KINDS:
            match = next((i for i, s in enumerate(s1_events) if i not in used
                          and s.kind == e.kind and _meets((e.start, e.end), (s.start, s.end))),
                         None)  # fmt: skip
        if match is None:
            out.append(e)
            continue
        used.add(match)
        out.append(_confirmed(e, s1_events[match]))
    days = sorted(valid_days)
    for i, s in enumerate(s1_events):
        if i not in used and _blind(days, s.main):
            out.append(Event(s.kind, s.start, s.main, s.end, round(s.before, 4),
                             round(s.after, 4), "VVc", s.observations, round(s.score, 4),
                             s.confidence, sensors="S1"))  # fmt: skip
    return sorted(out, key=lambda e: (e.main, e.kind))


def combined(c2: float, c1: float) -> float:
    """Posterior of two independent looks: odds(c2) x odds(c1) (c1's prior: even odds)."""
    c2, c1 = min(max(c2, 1e-3), 0.999), min(max(c1, 1e-3), 0.999)
    odds = c2 / (1 - c2) * c1 / (1 - c1)
    return round(odds / (1 + odds), 3)


def _confirmed(e: Event, s: S1Event) -> Event:
    start, end = max(e.start, s.start), min(e.end, s.end)
    if start > end:  # met only within the slack: S2's bracket stands
        start, end = e.start, e.end
    score = round(1 - (1 - e.score) * (1 - s.score), 4)
    # Two independent looks (S2's calibrated confidence, S1's physical one, which starts
    # from even odds): the odds multiply, so an S1 look below even odds lowers S2's
    # confidence and only one above raises it. S1's raw score never meets S2's table.
    confidence = combined(e.confidence, s.confidence)
    return replace(e, start=start, end=end, main=(start + end + 1) // 2, score=score,
                   confidence=confidence,
                   observations=e.observations + s.observations, sensors="S1+S2")  # fmt: skip
