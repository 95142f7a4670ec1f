"""Acquisition dates of the two relative orbits over the demo area.

Each Sentinel-2 satellite repeats its ground track every 10 days (143 orbits); S2B flies
half a cycle (5 days) after S2A. Dates come from one real datatake per orbit, stepped by
that cycle; the time of day is the anchor's (real start times drift by seconds over years).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

CYCLE = timedelta(days=10)
ORBITS_PER_CYCLE = 143
ORBIT_PERIOD_S = CYCLE.total_seconds() / ORBITS_PER_CYCLE


@dataclass(frozen=True)
class OrbitAnchor:
    relative_orbit: int
    mission: str
    sensing: datetime  # a real datatake start of this orbit


# Real products: S2A_MSIL2A_20220719T105041_N0510_R051_T31UFU_... and
# S2B_MSIL2A_20190627T104029_N0212_R008_T31UGT_... R051 passes west of R008.
ANCHORS = (
    OrbitAnchor(51, "S2A", datetime(2022, 7, 19, 10, 50, 41, 24000, tzinfo=UTC)),
    OrbitAnchor(8, "S2B", datetime(2019, 6, 27, 10, 40, 29, 24000, tzinfo=UTC)),
)
# Absolute orbit references from the real fixtures (granule A042640, A026649): absolute
# orbits are counted per satellite, relative = (absolute - shift) mod 143.
_ABSOLUTE_REF = {
    "S2A": (42640, datetime(2023, 8, 21, 22, 19, 41, tzinfo=UTC), 140),
    "S2B": (26649, datetime(2022, 4, 13, 15, 7, 59, tzinfo=UTC), 26),
}
_OTHER = {"S2A": "S2B", "S2B": "S2A"}
SPACECRAFT = {"S2A": "Sentinel-2A", "S2B": "Sentinel-2B"}
# Processing baselines of the operational processor (L1C and L2A alike) by sensing date.
_BASELINES = (
    (date(2024, 7, 23), "05.11"),
    (date(2023, 12, 13), "05.10"),
    (date(2022, 12, 6), "05.09"),
    (date(2022, 1, 25), "04.00"),
    (date(2021, 6, 30), "03.01"),
    (date(1900, 1, 1), "02.14"),
)


@dataclass(frozen=True)
class Datatake:
    mission: str
    relative_orbit: int
    absolute_orbit: int
    sensing: datetime

    @property
    def key(self) -> str:
        """Sensing time as in product names: 20240615T105031."""
        return self.sensing.strftime("%Y%m%dT%H%M%S")

    @property
    def baseline(self) -> str:
        return next(b for since, b in _BASELINES if self.sensing.date() >= since)

    @property
    def radiometric_offset(self) -> int:
        """BOA_ADD_OFFSET / RADIO_ADD_OFFSET: -1000 from baseline 04.00 on."""
        return -1000 if self.baseline >= "04.00" else 0

    def generation_time(self, level: str) -> datetime:
        """Processing finishes 1-3 hours after sensing; L2A a few minutes after L1C."""
        minutes = 60 + zlib.crc32(self.key.encode()) % 120
        extra = 17 if level == "L2A" else 0
        return (self.sensing + timedelta(minutes=minutes + extra)).replace(microsecond=0)


def absolute_orbit(mission: str, relative_orbit: int, when: datetime) -> int:
    ref_abs, ref_time, shift = _ABSOLUTE_REF[mission]
    estimate = ref_abs + round((when - ref_time).total_seconds() / ORBIT_PERIOD_S)
    # Move to the nearest absolute orbit that is this relative orbit.
    delta = (relative_orbit - ((estimate - shift) % ORBITS_PER_CYCLE) + 71) % 143 - 71
    return estimate + delta


def acquisitions(start: date, end: date) -> list[Datatake]:
    """Every datatake of both orbits and both satellites from start to end (inclusive)."""
    takes: list[Datatake] = []
    for anchor in ANCHORS:
        for mission, first in (
            (anchor.mission, anchor.sensing),
            (_OTHER[anchor.mission], anchor.sensing + CYCLE / 2),
        ):
            day_shift = (datetime.combine(start, first.timetz()) - first).days
            when = first + CYCLE * (day_shift // 10)
            while when.date() <= end:
                if when.date() >= start:
                    takes.append(
                        Datatake(
                            mission=mission,
                            relative_orbit=anchor.relative_orbit,
                            absolute_orbit=absolute_orbit(mission, anchor.relative_orbit, when),
                            sensing=when,
                        )
                    )
                when += CYCLE
    return sorted(takes, key=lambda t: t.sensing)
