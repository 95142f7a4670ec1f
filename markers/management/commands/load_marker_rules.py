"""manage.py load_marker_rules FILE --aoi AOI --year YEAR [--ptype P]: a dataset's rules
from a JSON file (markers.rules explains the format); --dump writes them out instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markers import rules
from markers.models import RuleSet
from parcels.models import ParcelDataset


class Command(BaseCommand):
    help = "Load a dataset's marker rules from a JSON file (or --dump them to it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--aoi", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--ptype", default="")
        parser.add_argument("--dump", action="store_true", help="write the rules to FILE")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            dataset = ParcelDataset.objects.get(aoi=o["aoi"], year=o["year"], ptype=o["ptype"])
        except ParcelDataset.DoesNotExist:
            raise CommandError(f"no dataset {o['aoi']} {o['year']} {o['ptype']!r}") from None
        if o["dump"]:
            ruleset = RuleSet.objects.filter(dataset=dataset).first()
            if ruleset is None:
                raise CommandError(f"{dataset} has no rules")
            o["file"].write_text(json.dumps(rules.dump(ruleset), indent=2) + "\n")
            self.stdout.write(f"{dataset}: rules {ruleset} written to {o['file']}")
            return
        try:
            ruleset = rules.load(dataset, o["file"])
        except rules.RulesError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{dataset}: rules {ruleset} ({ruleset.practices.count()} practices) loaded, "
            f"fingerprint {ruleset.fingerprint()}"
        )
