"""The markers endpoints' parameters and answers, declared once (common.params explains the
order): the views validate with them and drf-spectacular publishes them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from chips.web.timeseries_serializers import WordParam
from common.errors import BadParameter
from common.params import DateParam, ParamField
from markers.models import EVENTS, LIGHTS
from parcels.params import DatasetParams, ParcelParams, PidParam

FORMATS = ("json", "csv")
PRACTICE_PATTERN = r"^[A-Za-z0-9_]{1,32}$"


class WordListParam(ParamField, serializers.CharField):
    """Comma-separated words of a fixed set (e.g. light=red,yellow)."""

    def __init__(self, *, words: tuple[str, ...], **kwargs: Any) -> None:
        self.words = words
        word = "(" + "|".join(words) + ")"
        # Published as the schema's pattern: what parse accepts (it also takes any case).
        pattern = RegexValidator(f"^{word}(,{word})*$")
        super().__init__(required=False, max_length=200, validators=[pattern], **kwargs)

    def parse(self, value: str) -> tuple[str, ...]:
        picked = tuple(w.strip().lower() for w in value.split(",") if w.strip())
        bad = [w for w in picked if w not in self.words]
        if bad or not picked:
            raise BadParameter(
                f"{self.param}={value!r}: use {', '.join(self.words)} (comma-separated)",
                param=self.param,
            )
        return picked


class PracticeParam(ParamField, serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PRACTICE_PATTERN, required=False, **kwargs)

    def parse(self, value: str) -> str:
        if not re.fullmatch(PRACTICE_PATTERN, value):
            raise BadParameter(
                f"practice={value!r}: a practice name (letters, digits, _; at most 32)",
                param="practice",
            )
        return value


class MarkersQuery(ParcelParams):
    """markers: one parcel's events."""

    marker = WordListParam(words=EVENTS, help_text="only these events (comma-separated)")
    start_date = DateParam(source="start", required=False, help_text="events from (date_main)")
    end_date = DateParam(source="end", required=False, help_text="events until (date_main)")
    tsformat = WordParam(choices=FORMATS, default="json", help_text="json columns, or csv")

    def check_end_date(self, value: dt.date | None, values: dict[str, Any]) -> dt.date | None:
        start = values["start"]
        if start is not None and value is not None and start > value:
            raise BadParameter("start_date is after end_date", param="start_date")
        return value


class TrafficLightsQuery(DatasetParams):
    """trafficLights: a dataset's lights."""

    light = WordListParam(words=LIGHTS, help_text="only these lights, e.g. red,yellow")
    practice = PracticeParam(help_text="only this practice, e.g. grassland")
    pid = PidParam(required=False, help_text="one parcel (computed now if not yet)")
    tsformat = WordParam(choices=FORMATS, default="json", help_text="json columns, or csv")


class EvidenceQuery(ParcelParams):
    """parcelEvidence: one parcel's evidence page."""

    format = WordParam(choices=("html", "pdf"), default="html",
                       help_text="html (printable) or pdf (the same content)")  # fmt: skip


def _list(child: serializers.Field, text: str = "") -> serializers.ListField:
    return serializers.ListField(child=child, help_text=text)


class MarkerColumns(serializers.Serializer):
    """One row per event, by date_main: the lists are parallel. The JRC's columns first."""

    foi_id = _list(serializers.CharField(), "the parcel id")
    marker = _list(serializers.ChoiceField(choices=EVENTS))
    marker_type = _list(serializers.CharField(), "S2, S1 or S1+S2")
    date_start = _list(serializers.DateField(), "last valid observation before")
    date_main = _list(serializers.DateField(), "best estimate")
    date_end = _list(serializers.DateField(), "first valid observation after")
    duration_days = _list(serializers.IntegerField())
    value_1 = _list(serializers.FloatField(), "signal before")
    value_2 = _list(serializers.FloatField(), "signal after")
    value_3 = _list(serializers.FloatField(), "the change")
    pid = _list(serializers.CharField())
    practice = _list(serializers.CharField())
    confidence = _list(serializers.FloatField(), "0..1, calibrated")
    observations = _list(serializers.IntegerField(), "valid observations used")
    signal = _list(serializers.CharField(), "what value_* measure")
    detector = _list(serializers.CharField(), "detector version")


class TrafficLightColumns(serializers.Serializer):
    """One row per parcel: the lists are parallel."""

    pid = _list(serializers.CharField())
    cropname = _list(serializers.CharField())
    practice = _list(serializers.CharField())
    light = _list(serializers.ChoiceField(choices=LIGHTS))
    reason = _list(serializers.CharField(), "a code and a sentence")
    observability = _list(serializers.FloatField(), "0..1")
    clear_observations = _list(serializers.IntegerField())
    events = _list(serializers.IntegerField())
    detector = _list(serializers.CharField())
    rules = _list(serializers.CharField(), "the rules' version")
