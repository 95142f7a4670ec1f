"""Rules in files and in the database: load_marker_rules reads a JSON file into a dataset's
RuleSet (replacing it), dump_rules writes one back (rules are versioned and copied between
datasets as files); `rulebook` gives the detector's lights.Rule per crop code.

The file:
    {"name": "nl demo rules", "version": "1",
     "practices": {
        "grassland": {"crop_codes": ["265"], "rules": [
            {"kind": "expected", "event": "mowing", "start": "05-15", "end": "08-31",
             "count": 1, "confidence": 0.5},
            {"kind": "forbidden", "event": "ploughing", "start": "01-01", "end": "12-31"}]}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from markers.detect.lights import Rule
from markers.models import Practice, PracticeRule, RuleSet
from parcels.models import ParcelDataset


class RulesError(ValueError):
    """A rules file that cannot be loaded (the message says where)."""


@dataclass(frozen=True)
class Rulebook:
    fingerprint: str  # "" without a RuleSet
    by_crop: dict[str, tuple[str, list[Rule]]]  # crop code -> (practice, rules)

    def practice(self, crop_code: str) -> tuple[str, list[Rule] | None]:
        found = self.by_crop.get(crop_code)
        return (found[0], found[1]) if found else ("", None)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def rulebook(dataset: ParcelDataset) -> Rulebook:
    ruleset = RuleSet.objects.filter(dataset=dataset).first()
    if ruleset is None:
        return Rulebook("", {})
    by_crop: dict[str, tuple[str, list[Rule]]] = {}
    practices = list(ruleset.practices.order_by("name").prefetch_related("rules"))
    for practice in practices:
        rules = [
            Rule(
                kind=r.kind,
                event=r.event,
                start=_month_day(r.start),
                end=_month_day(r.end),
                count=r.count,
                confidence=r.confidence,
            )  # fmt: skip
            for r in practice.rules.all()
        ]
        for code in practice.crop_codes:
            by_crop[str(code)] = (practice.name, rules)
    return Rulebook(ruleset.fingerprint(practices), by_crop)


@transaction.atomic
def load(dataset: ParcelDataset, path: Path) -> RuleSet:
    """Replace the dataset's rules with the file's; RulesError naming what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    return load_data(dataset, data, source=str(path))


def load_data(dataset: ParcelDataset, data: Any, source: str = "") -> RuleSet:
    if not isinstance(data, dict) or not isinstance(data.get("practices"), dict):
        raise RulesError("the rules must be an object with a 'practices' object")
    RuleSet.objects.filter(dataset=dataset).delete()
    ruleset = RuleSet.objects.create(
        dataset=dataset,
        name=str(data.get("name", ""))[:64] or str(dataset),
        version=str(data.get("version", "1"))[:32],
        source=source[:500],
    )
    for name, body in data["practices"].items():
        codes = body.get("crop_codes") if isinstance(body, dict) else None
        if not isinstance(codes, list):
            raise RulesError(f"practice {name!r}: 'crop_codes' must be a list")
        practice = Practice(
            ruleset=ruleset, name=str(name)[:32], crop_codes=[str(c) for c in codes]
        )
        _clean(practice, name)
        practice.save()
        for i, item in enumerate(body.get("rules", [])):
            if not isinstance(item, dict):
                raise RulesError(f"practice {name!r}, rule {i + 1}: not an object")
            rule = PracticeRule(
                practice=practice,
                kind=item.get("kind", ""),
                event=item.get("event", ""),
                start=item.get("start", ""),
                end=item.get("end", ""),
                count=item.get("count", 1),
                confidence=item.get("confidence", 0.5),
            )
            _clean(rule, f"{name} rule {i + 1}")
            rule.save()
    return ruleset


def _clean(obj: Practice | PracticeRule, where: str) -> None:
    try:
        obj.full_clean(exclude=["ruleset", "practice"])
    except ValidationError as exc:
        raise RulesError(f"{where}: {exc.message_dict}") from None


def dump(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "name": ruleset.name,
        "version": ruleset.version,
        "practices": {
            p.name: {
                "crop_codes": list(p.crop_codes),
                "rules": [
                    {
                        "kind": r.kind,
                        "event": r.event,
                        "start": r.start,
                        "end": r.end,
                        "count": r.count,
                        "confidence": r.confidence,
                    }  # fmt: skip
                    for r in p.rules.all()
                ],
            }
            for p in ruleset.practices.prefetch_related("rules")
        },
    }
