"""The inspection endpoints' parameters and answers, declared once (common.params explains
the order): the views validate with them and drf-spectacular publishes them."""

from __future__ import annotations

import math
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from chips.web.timeseries_serializers import WordParam
from common.errors import BadParameter
from common.params import FloatParam, IntParam, ParamField, ParamSerializer, TextParam
from inspection.models import Verdict
from inspection.selectors import NO_LIGHT, MapView
from markers.models import LIGHTS
from markers.web.serializers import PracticeParam, WordListParam
from parcels.params import PID_MAX, AoiParam, DatasetParams, PidParam

SUGGEST_MAX = 50
MAP_LIMIT_DEFAULT = 2000
MAP_LIMIT_MAX = 5000
# The widest view the map asks parcels for (degrees each way): at field zoom a screen
# spans a few hundredths of a degree; wider views answer 400 and the map says "zoom in".
MAP_MAX_SPAN = 0.5
NUMBER = r"-?[0-9]+(\.[0-9]+)?"


class SearchTextParam(PidParam):
    """What the inspector typed: the start of a parcel id."""

    def parse(self, value: str) -> str:
        text = value.strip()
        if not text or len(text) > PID_MAX or any(ord(c) < 32 for c in text):
            raise BadParameter(
                f"{self.param} must be 1..{PID_MAX} printable characters", param=self.param
            )
        return text


class BboxParam(ParamField, serializers.CharField):
    """west,south,east,north in WGS84 degrees."""

    def __init__(self, **kwargs: Any) -> None:
        pattern = f"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"
        super().__init__(validators=[RegexValidator(pattern)], **kwargs)

    def parse(self, value: str) -> tuple[float, float, float, float]:
        try:
            w, s, e, n = (float(v) for v in value.split(","))
        except ValueError:
            raise BadParameter(
                f"bbox={value!r}: four numbers west,south,east,north", param="bbox"
            ) from None
        if not all(math.isfinite(v) for v in (w, s, e, n)):
            raise BadParameter(f"bbox={value!r}: the numbers must be finite", param="bbox")
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise BadParameter(
                f"bbox={value!r}: west < east within -180..180, south < north within -90..90",
                param="bbox",
            )
        if e - w > MAP_MAX_SPAN or n - s > MAP_MAX_SPAN:
            raise BadParameter(
                f"bbox={value!r} spans more than {MAP_MAX_SPAN}° each way: zoom in",
                param="bbox",
            )
        return w, s, e, n


class VerdictParam(ParamField, serializers.ChoiceField):
    """confirmed, overturned or field_visit (required)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(Verdict.values), **kwargs)

    def parse(self, value: str) -> str:
        word = value.strip().lower()
        if word not in Verdict.values:
            raise BadParameter(
                f"{self.param}={value!r}: use {', '.join(Verdict.values)}",
                param=self.param,
                choices=list(Verdict.values),
            )
        return word


class SuggestQuery(ParamSerializer):
    """parcelSuggest: parcels whose id starts with q, in the datasets the caller may see."""

    q = SearchTextParam(help_text="the start of a parcel id")
    aoi = AoiParam(required=False, help_text="only this AOI")
    year = IntParam(lo=1900, hi=2100, required=False, help_text="only this year")
    limit = IntParam(lo=1, hi=SUGGEST_MAX, default=10, help_text="at most this many")


class MapQuery(DatasetParams):
    """parcelMap: the dataset's parcels in a map view."""

    bbox = BboxParam(
        help_text=f"the view: west,south,east,north (WGS84; at most {MAP_MAX_SPAN}° each way)"
    )
    zoom = IntParam(lo=0, hi=24, help_text="the map's zoom: outlines simplified to half a pixel")
    light = WordListParam(
        words=(*LIGHTS, NO_LIGHT), help_text="only these lights (none: not assessed yet)"
    )
    practice = PracticeParam(help_text="only this practice, e.g. grassland")
    limit = IntParam(
        lo=1, hi=MAP_LIMIT_MAX, default=MAP_LIMIT_DEFAULT, help_text="at most this many parcels"
    )

    def check_zoom(self, value: int, values: dict[str, Any]) -> MapView:
        w, s, e, n = values["bbox"]
        return MapView(w, s, e, n, value)


class DecisionsQuery(DatasetParams):
    """inspectionDecisions: the decisions on a dataset's parcels."""

    tsformat = WordParam(choices=("json", "csv"), default="json", help_text="json columns, or csv")


class FindQuery(ParamSerializer):
    """The find page: a parcel id, or a point (lon and lat), in one AOI or year or all."""

    q = SearchTextParam(required=False, help_text="a parcel id")
    lon = FloatParam(lo=-180, hi=180, required=False, help_text="WGS84 longitude")
    lat = FloatParam(lo=-90, hi=90, required=False, help_text="WGS84 latitude")
    aoi = AoiParam(required=False, help_text="only this AOI")
    year = IntParam(lo=1900, hi=2100, required=False, help_text="only this year")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["q"] is None and (attrs["lon"] is None) != (attrs["lat"] is None):
            missing = "lat" if attrs["lat"] is None else "lon"
            raise BadParameter(f"{missing} is required with the other coordinate", param=missing)
        if attrs["q"] is None and attrs["lon"] is None:
            raise BadParameter("give a parcel id (q), or lon and lat", param="q")
        return attrs


class ReviewQuery(DatasetParams):
    """The review list: the dataset's red and yellow parcels; pid: the one in view."""

    pid = PidParam(required=False, help_text="the parcel in view (default: the first)")
    light = WordListParam(words=LIGHTS, help_text="the lights to review (default red,yellow)")
    practice = PracticeParam(help_text="only this practice")


class DatasetPageQuery(DatasetParams):
    """The dataset map: its dataset, and a parcel to centre on."""

    pid = PidParam(required=False, help_text="a parcel to centre the map on")


class DecisionForm(ParamSerializer):
    """The review form's fields."""

    verdict = VerdictParam(help_text="the inspector's decision")
    comment = TextParam(required=False, max_length=2000, help_text="why, what to check")


# --- answers (for the schema; the views build the bodies) -----------------------------------
class Suggestion(serializers.Serializer):
    aoi = serializers.CharField()
    year = serializers.IntegerField()
    ptype = serializers.CharField(allow_blank=True)
    pid = serializers.CharField()
    cropname = serializers.CharField(allow_blank=True)
    cropcode = serializers.CharField(allow_blank=True)
    clon = serializers.FloatField(help_text="WGS84 centroid")
    clat = serializers.FloatField(help_text="WGS84 centroid")
    url = serializers.CharField(help_text="the parcel's page over its dataset's season")


class Suggestions(serializers.Serializer):
    suggestions = Suggestion(many=True)


class MapProperties(serializers.Serializer):
    pid = serializers.CharField()
    cropname = serializers.CharField(allow_blank=True)
    cropcode = serializers.CharField(allow_blank=True)
    light = serializers.ChoiceField(choices=LIGHTS, allow_null=True, help_text="null: not assessed")
    practice = serializers.CharField(allow_null=True, allow_blank=True)
    reason = serializers.CharField(allow_null=True, help_text="the light's reason code")


class MapFeature(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.CharField(help_text="the parcel id")
    geometry = serializers.DictField(help_text="a GeoJSON (Multi)Polygon, WGS84, simplified")
    properties = MapProperties()


class MapCollection(serializers.Serializer):
    """A GeoJSON FeatureCollection; `truncated`: more parcels are in the view than `limit`."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = MapFeature(many=True)
    truncated = serializers.BooleanField()
    limit = serializers.IntegerField()


def _list(child: serializers.Field, text: str = "") -> serializers.ListField:
    return serializers.ListField(child=child, help_text=text)


class DecisionColumns(serializers.Serializer):
    """One row per decision (a parcel's latest first): the lists are parallel."""

    pid = _list(serializers.CharField())
    verdict = _list(serializers.ChoiceField(choices=Verdict.values))
    comment = _list(serializers.CharField(allow_blank=True))
    user = _list(serializers.CharField(), "who decided")
    decided_at = _list(serializers.DateTimeField(), "when (UTC)")
    light = _list(serializers.CharField(), "the light the decision was made on")
    light_now = _list(serializers.CharField(allow_null=True), "the parcel's light now")
    light_changed = _list(serializers.BooleanField(), "the light changed since the decision")
    current = _list(serializers.BooleanField(), "the parcel's latest decision")
    detector = _list(serializers.CharField(), "detector version decided on")
    rules = _list(serializers.CharField(allow_blank=True), "rules version decided on")
    parcel_changed = _list(
        serializers.BooleanField(),
        "a re-import (import_parcels --replace) changed the parcel's crop or outline since",
    )
