"""Traffic lights (markers.detect.lights): green only with the rule met, red only with the
observations to show it broken, yellow when they are missing (and why), or no rule."""

from __future__ import annotations

import numpy as np

from markers.detect.lights import EXPECTED, FORBIDDEN, Rule, evaluate
from markers.detect.s2 import Event
from markers.tests.series_builder import YEAR, day, every

MOW = Rule(EXPECTED, "mowing", (5, 15), (8, 31), confidence=0.5)
NO_PLOUGH = Rule(FORBIDDEN, "ploughing", (4, 1), (9, 30), confidence=0.5)
SEASON = (day(4, 1), day(9, 30))
EVERY_5_DAYS = np.array(every(day(4, 1), 37))


def event(kind: str, main: int, confidence: float = 0.9) -> Event:
    return Event(kind, main - 2, main, main + 3, 0.8, 0.5, "NDVI", 30, confidence, confidence)


def test_green_when_the_expected_event_is_found() -> None:
    light = evaluate([MOW, NO_PLOUGH], [event("mowing", day(6, 1))], EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "green" and light.code == "met"
    assert light.observability == 1.0 and light.clear_observations == 37


def test_red_when_the_expected_event_is_missing_in_an_observed_window() -> None:
    light = evaluate([MOW], [], EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "red" and light.code == "expected_missing"
    assert "mowing between 15 May and 31 Aug" in light.reason


def test_red_when_a_forbidden_event_is_found() -> None:
    events = [event("mowing", day(6, 1)), event("ploughing", day(7, 10))]
    light = evaluate([MOW, NO_PLOUGH], events, EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "red" and light.code == "forbidden_found"
    assert "2024-07-10" in light.reason


def test_an_event_outside_the_window_does_not_count() -> None:
    light = evaluate([MOW], [event("mowing", day(9, 10))], EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "red"


def test_a_gap_makes_the_parcel_yellow_not_red() -> None:
    # Clear dates in April-May and in September only: a mowing in between can hide there.
    days = np.array([d for d in EVERY_5_DAYS if d < day(6, 1) or d > day(8, 25)])
    light = evaluate([MOW], [], days, YEAR, SEASON)
    assert light.light == "yellow" and light.code == "long_gap"
    assert "gap" in light.reason


def test_too_few_clear_dates_is_yellow() -> None:
    days = np.array([day(4, 3), day(6, 1), day(9, 20)])
    light = evaluate([MOW], [], days, YEAR, SEASON)
    assert light.light == "yellow" and light.code == "too_few_clear"


def test_low_confidence_is_yellow() -> None:
    light = evaluate([MOW], [event("mowing", day(6, 1), 0.3)], EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "yellow" and light.code == "low_confidence"


def test_no_rule_is_yellow_and_says_so() -> None:
    light = evaluate(None, [event("mowing", day(6, 1))], EVERY_5_DAYS, YEAR, SEASON)
    assert light.light == "yellow" and light.code == "no_rule"


def test_observability_counts_the_ten_day_periods_seen() -> None:
    days = np.array([d for d in EVERY_5_DAYS if d < day(7, 1)])
    light = evaluate([MOW], [], days, YEAR, SEASON)
    assert 0.45 < light.observability < 0.55


def test_a_forbidden_event_whose_bracket_straddles_the_window_is_undecided() -> None:
    # Ploughed somewhere between 2 and 22 August (clouds in between): the middle falls
    # before 15 August, but the ploughing may as well have come after the rule's window.
    until_mid_august = Rule(FORBIDDEN, "ploughing", (4, 1), (8, 14), confidence=0.5)
    late = Event("ploughing", day(8, 2), day(8, 12), day(8, 22), 0.3, 0.2, "B11", 30, 0.9, 0.9)
    light = evaluate([until_mid_august], [late], EVERY_5_DAYS, YEAR, SEASON)
    assert (light.light, light.code) == ("yellow", "uncertain_date")
    assert "2024-08-02 and 2024-08-22" in light.reason
    # The same ploughing bracketed within the window: red.
    early = Event("ploughing", day(8, 2), day(8, 7), day(8, 12), 0.3, 0.2, "B11", 30, 0.9, 0.9)
    light = evaluate([until_mid_august], [early], EVERY_5_DAYS, YEAR, SEASON)
    assert (light.light, light.code) == ("red", "forbidden_found")
