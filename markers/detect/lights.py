"""A parcel's traffic light: its practice's rules against its events and observations.

- green: every rule met with the confidence the rules ask;
- red: a rule broken with the observations to show it (an expected event missing although
  the window was observed well enough, or a forbidden event found with enough confidence);
- yellow: not observable enough to decide (too few clear dates in a window, a long gap,
  events below the confidence asked), or no rule for the parcel's crop.
Never green or red without the observations to show it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from markers.detect.s2 import Event

EXPECTED, FORBIDDEN = "expected", "forbidden"
# A window needs this many valid observations, and no gap longer than this between them
# (edges included): a mowing regrows within about five weeks (s2.py), so a longer gap can
# hide one; 30 days leaves a margin.
MIN_OBSERVATIONS = 3
MAX_GAP_DAYS = 30
PERIOD_DAYS = 10  # observability: the share of the season's 10-day periods with a valid date


@dataclass(frozen=True)
class Rule:
    """One check of a practice: `event` expected (at least `count`) or forbidden in the
    window [start, end] (month, day: any year), with `confidence` needed."""

    kind: str  # expected | forbidden
    event: str
    start: tuple[int, int]
    end: tuple[int, int]
    count: int = 1
    confidence: float = 0.5

    def window(self, year: int) -> tuple[int, int]:
        a = dt.date(year, *self.start).toordinal()
        b = dt.date(year, *self.end).toordinal()
        return a, b

    def describe(self, year: int) -> str:
        a, b = (dt.date.fromordinal(d).strftime("%d %b") for d in self.window(year))
        what = self.event.replace("_", " ")
        if self.kind == FORBIDDEN:
            return f"no {what} between {a} and {b}"
        times = "" if self.count == 1 else f" {self.count} times"
        return f"{what}{times} between {a} and {b}"


@dataclass(frozen=True)
class Light:
    light: str  # green | yellow | red
    code: str  # met | expected_missing | forbidden_found | too_few_clear | long_gap |
    # low_confidence | uncertain_date | no_rule | no_observations
    reason: str
    observability: float
    clear_observations: int


def observability(days: np.ndarray, season: tuple[int, int]) -> float:
    """Share of the season's 10-day periods holding at least one valid observation."""
    a, b = season
    periods = max(1, (b - a + PERIOD_DAYS) // PERIOD_DAYS)
    inside = days[(days >= a) & (days <= b)]
    seen = len(np.unique((inside - a) // PERIOD_DAYS))
    return round(min(1.0, seen / periods), 3)


def _window_observed(days: np.ndarray, a: int, b: int) -> tuple[bool, str, str]:
    inside = np.sort(days[(days >= a) & (days <= b)])
    if len(inside) < MIN_OBSERVATIONS:
        return False, "too_few_clear", f"{len(inside)} clear dates (at least {MIN_OBSERVATIONS})"
    edges = np.concatenate([[a], inside, [b]])
    gap = int(np.diff(edges).max())
    if gap > MAX_GAP_DAYS:
        return False, "long_gap", f"a gap of {gap} days without a clear date"
    return True, "", f"{len(inside)} clear dates, longest gap {gap} days"


def evaluate(
    rules: list[Rule] | None,
    events: list[Event],
    valid_days: np.ndarray,
    year: int,
    season: tuple[int, int],
    absence_days: np.ndarray | None = None,
) -> Light:
    """The light of one parcel-season. `valid_days`: its valid observations (ordinals).
    `absence_days` (default: the same): the dates that can show an event did NOT happen
    (red for an expected one missing, green for a forbidden one absent). With Sentinel-1
    these are S2's valid dates alone: S1 shows an event happened, its silence proves
    nothing (a cut's coherence rise, 0.05-0.1, is near a small parcel's noise and hidden
    when it rains after the cut; a sward ploughed, or stubble ploughed within days of the
    harvest, never was the stable bare soil the tillage signature starts from)."""
    absence = valid_days if absence_days is None else absence_days
    obs = observability(valid_days, season)
    n_clear = int(len(valid_days))
    if not rules:
        return Light("yellow", "no_rule", "no rule for this crop: events only", obs, n_clear)
    if n_clear == 0:
        return Light("yellow", "no_observations", "no clear observation", obs, n_clear)
    met: list[str] = []
    undecided: list[tuple[str, str]] = []
    for rule in rules:
        a, b = rule.window(year)
        # The season's data bounds the window: what lies outside was never looked at.
        lo, hi = max(a, season[0]), min(b, season[1])
        found = [e for e in events if e.kind == rule.event and a <= e.main <= b]
        sure = [e for e in found if e.confidence >= rule.confidence]
        text = rule.describe(year)
        if rule.kind == FORBIDDEN:
            # Red only for an event surely inside the window: its whole bracket (it
            # happened after `start`, by `end`); one whose bracket straddles the window's
            # edge may have happened outside it (a long gap across the date the rule names).
            inside = [e for e in sure if e.start >= a - 1 and e.end <= b]
            if inside:
                when = dt.date.fromordinal(inside[0].main).isoformat()
                return Light("red", "forbidden_found", f"{text}: {rule.event} found on {when} "
                             f"(confidence {inside[0].confidence:.2f})", obs, n_clear)  # fmt: skip
            if sure:
                e = sure[0]
                span = " and ".join(dt.date.fromordinal(d).isoformat() for d in (e.start, e.end))
                undecided.append(("uncertain_date", f"{text}: a {rule.event} between {span}, "
                                  "maybe outside the window"))  # fmt: skip
                continue
            if found:
                undecided.append(("low_confidence", f"{text}: a possible {rule.event} below "
                                  f"confidence {rule.confidence:.2f}"))  # fmt: skip
                continue
        elif len(sure) >= rule.count:
            met.append(f"{text}: found ({len(sure)})")
            continue
        ok, code, detail = _window_observed(absence, lo, hi) if lo <= hi else (
            False, "too_few_clear", "the window lies outside the season's data")  # fmt: skip
        if not ok:
            undecided.append((code, f"{text}: not observable ({detail})"))
            continue
        if rule.kind == FORBIDDEN:
            met.append(f"{text}: none ({detail})")
        elif found:
            undecided.append(("low_confidence", f"{text}: {len(found)} found below confidence "
                              f"{rule.confidence:.2f}"))  # fmt: skip
        else:
            return Light("red", "expected_missing", f"{text}: not found ({detail})", obs, n_clear)
    if undecided:
        code, text = undecided[0]
        return Light("yellow", code, "; ".join(t for _, t in undecided), obs, n_clear)
    return Light("green", "met", "; ".join(met), obs, n_clear)
