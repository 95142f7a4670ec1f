"""Scoring detected events and lights against the demo truth (truth.json): plain functions
bench/markers.py prints, kept apart so the matching itself can be tested."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TOLERANCES = (3, 6, 10)
KINDS = ("mowing", "harvest", "ploughing", "emergence")


@dataclass(frozen=True)
class Detected:
    pid: str
    kind: str
    day: int  # ordinal of date_main
    score: float
    confidence: float


def match(truth_days: Sequence[int], found_days: Sequence[int], tol: int) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, found index) within `tol` days: the closest pair
    first, then the closest of the rest (events of a kind lie weeks apart, so the greedy
    pairing is the optimal one in practice)."""
    candidates = sorted(
        (abs(t - f), a, b)
        for a, t in enumerate(truth_days)
        for b, f in enumerate(found_days)
        if abs(t - f) <= tol
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    pairs = []
    for _, a, b in candidates:
        if a not in used_t and b not in used_f:
            used_t.add(a)
            used_f.add(b)
            pairs.append((a, b))
    return pairs


def truth_events(truth: dict[str, Any]) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pid, parcel in truth["parcels"].items():
        for ev in parcel["events"]:
            out[pid, ev["event"]].append(dt.date.fromisoformat(ev["date"]).toordinal())
    return out


def scores(
    truth: dict[str, Any], found: Iterable[Detected], pids: set[str]
) -> dict[str, dict[str, Any]]:
    """Per kind and tolerance: precision, recall, F1, and the date MAE of the pairs."""
    truths = truth_events(truth)
    by: dict[tuple[str, str], list[Detected]] = defaultdict(list)
    for d in found:
        by[d.pid, d.kind].append(d)
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        row: dict[str, Any] = {}
        for tol in TOLERANCES:
            tp = n_true = n_found = 0
            errors: list[int] = []
            for pid in pids:
                t = truths.get((pid, kind), [])
                f = [d.day for d in by.get((pid, kind), [])]
                pairs = match(t, f, tol)
                tp += len(pairs)
                n_true += len(t)
                n_found += len(f)
                errors += [abs(t[a] - f[b]) for a, b in pairs]
            p = tp / n_found if n_found else float("nan")
            r = tp / n_true if n_true else float("nan")
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            mae = float(np.mean(errors)) if errors else float("nan")
            row[f"+-{tol}"] = {"precision": p, "recall": r, "f1": f1, "tp": tp,
                               "true": n_true, "found": n_found, "mae": mae}  # fmt: skip
        out[kind] = row
    return out


def reliability(
    truth: dict[str, Any], found: Sequence[Detected], pids: set[str], tol: int = 6,
    key: str = "confidence",
) -> list[tuple[float, float, int, float]]:  # fmt: skip
    """Bins of confidence (0.1 wide): (low, high, events, share that were true events)."""
    truths = truth_events(truth)
    by: dict[tuple[str, str], list[Detected]] = defaultdict(list)
    for d in found:
        by[d.pid, d.kind].append(d)
    right: dict[int, list[bool]] = defaultdict(list)
    for (pid, kind), ds in by.items():
        if pid not in pids or kind not in KINDS:  # bare_soil periods have no truth
            continue
        pairs = match(truths.get((pid, kind), []), [d.day for d in ds], tol)
        hit = {b for _, b in pairs}
        for i, d in enumerate(ds):
            value = getattr(d, key)
            right[min(int(value * 10), 9)].append(i in hit)
    return [
        (b / 10, (b + 1) / 10, len(right[b]), float(np.mean(right[b])) if right[b] else np.nan)
        for b in range(10)
    ]


def per_kind_bins(
    truth: dict[str, Any], found: Sequence[Detected], pids: set[str], tol: int = 6
) -> dict[str, list[tuple[float, int, float]]]:
    """Per kind, raw-score bins (0.2 wide, centres 0.1..0.9): (centre, n, share true)."""
    truths = truth_events(truth)
    by: dict[tuple[str, str], list[Detected]] = defaultdict(list)
    for d in found:
        by[d.pid, d.kind].append(d)
    bins: dict[str, dict[int, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for (pid, kind), ds in by.items():
        if pid not in pids:
            continue
        pairs = match(truths.get((pid, kind), []), [d.day for d in ds], tol)
        hit = {b for _, b in pairs}
        for i, d in enumerate(ds):
            bins[kind][min(int(d.score * 5), 4)].append(i in hit)
    return {
        kind: [
            (0.1 + 0.2 * b, len(v[b]), float(np.mean(v[b])) if v[b] else np.nan) for b in range(5)
        ]  # fmt: skip
        for kind, v in bins.items()
    }


def confusion(truth: dict[str, Any], lights: dict[str, str]) -> Counter[tuple[str, str]]:
    """(expected, given) counts."""
    return Counter(
        (truth["parcels"][pid]["expected_light"], light)
        for pid, light in lights.items()
        if pid in truth["parcels"]
    )
