"""Raw scores -> calibrated confidence: per event kind, the share of detections that were
true events on the demo truth, per raw-score bin (bench/markers.py --calibrate prints the
table; the reliability table in docs/benchmarks.md is measured after it). Between bin
centres the confidence is interpolated; it never decreases with the raw score.

Calibrated on the synthetic truth: on real parcels the same table is an assumption until a
labelled real set recalibrates it (docs/markers.md)."""

from __future__ import annotations

import bisect

import numpy as np

# Raw-score bin centres and, per kind, the observed precision there.
CENTRES = (0.1, 0.3, 0.5, 0.7, 0.9)
TABLE: dict[str, tuple[float, ...]] = {
    # Measured on demo worlds seeds 0-2 (269 parcel-seasons, bench/markers.py), pooled
    # where a bin held few events or a lower bin scored higher (kept non-decreasing).
    "mowing": (0.3, 0.3, 0.3, 0.67, 0.99),  # 0.3: 7 events, 0.5: 36, 0.7: 52, 0.9: 169
    "harvest": (0.5, 0.7, 0.8, 0.8, 0.99),  # 0.7: 10 events, 0.9: 112
    "ploughing": (0.7, 0.85, 0.9, 0.95, 0.98),  # every one true (46): capped, too few to say 1
    "emergence": (0.5, 0.75, 0.75, 0.75, 0.95),  # 0.7: 4 events, 0.9: 117
    # No truth for bare-soil periods in the demo: the raw score, uncalibrated.
    "bare_soil": (0.1, 0.3, 0.5, 0.7, 0.9),
}


# Kept non-decreasing once, here (confidence runs for every event of every parcel).
_MONOTONE = {kind: np.maximum.accumulate(np.array(row, dtype=float)).tolist()
             for kind, row in TABLE.items()}  # fmt: skip


def confidence(kind: str, score: float) -> float:
    """np.interp over the bin centres (flat beyond the ends), in plain Python: one event."""
    table = _MONOTONE.get(kind, list(CENTRES))
    if score <= CENTRES[0]:
        value = table[0]
    elif score >= CENTRES[-1]:
        value = table[-1]
    else:
        i = bisect.bisect_right(CENTRES, score) - 1
        x0, x1 = CENTRES[i], CENTRES[i + 1]
        slope = (table[i + 1] - table[i]) / (x1 - x0)  # numpy's order: the same rounding
        value = slope * (score - x0) + table[i]
    return float(round(np.float64(value), 3))  # numpy's rounding, as ever (half to even)
