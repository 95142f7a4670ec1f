"""The parameters that name a parcel dataset (aoi, year, ptype) and a parcel (pid), declared
once as DRF serializers (common.params): the web layer's queries build on them, and
selectors.parcel_from_params validates raw parameters with them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from common.errors import BadParameter
from common.params import IntParam, ParamField, ParamSerializer
from parcels.models import AOI_PATTERN, PTYPE_PATTERN, season_label

PID_MAX = 64
# What parse accepts, for the schema: no control character, and one character at least that
# str.strip() keeps (not a space of any kind).
PID_PATTERN = (
    "^[^\\x00-\\x1f]*"
    "[^\\x00-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    "[^\\x00-\\x1f]*$"
)
# What a client may send: aoi is matched after lower-casing.
AOI_SENT = r"^[A-Za-z][A-Za-z0-9_]{0,15}$"


@dataclass(frozen=True)
class DatasetKey:
    """A dataset as requests name it (validated; the selectors look it up)."""

    aoi: str
    year: int
    ptype: str

    @property
    def stem(self) -> str:
        """<aoi><year>[_<ptype>], as file names of the dataset's answers begin."""
        return f"{self.aoi}{season_label(self.year, self.ptype)}"


class AoiParam(ParamField, serializers.CharField):
    """An AOI code (member state or region), matched case-insensitively."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=16, validators=[RegexValidator(AOI_SENT)], **kwargs)

    def parse(self, value: str) -> str:
        aoi = value.lower()
        if not re.fullmatch(AOI_PATTERN, aoi):
            raise BadParameter(
                f"aoi={aoi!r} is not an AOI code (lower-case letters, digits, _; e.g. nl)",
                param="aoi",
            )
        return aoi


class PtypeParam(ParamField, serializers.CharField):
    """A parcel type; absent (or empty) names a year's main dataset."""

    def __init__(self, **kwargs: Any) -> None:
        # No declared default "": the schema would then hold a default its own minLength
        # (empty is absent) refuses.
        super().__init__(
            required=False, max_length=8, validators=[RegexValidator(PTYPE_PATTERN)], **kwargs
        )

    def absent(self) -> str:
        return ""

    def parse(self, value: str) -> str:
        if not re.fullmatch(PTYPE_PATTERN, value):
            raise BadParameter(
                f"ptype={value!r} is not a parcel type (at most 8 lower-case letters/digits)",
                param="ptype",
            )
        return value


class PidParam(ParamField, serializers.CharField):
    """A parcel id as the dataset spells it (surrounding spaces are dropped)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            min_length=1, max_length=PID_MAX, validators=[RegexValidator(PID_PATTERN)], **kwargs
        )

    def parse(self, value: str) -> str:
        pid = value.strip()
        if not pid or len(pid) > PID_MAX or any(ord(c) < 32 for c in pid):
            raise BadParameter(f"pid must be 1..{PID_MAX} printable characters", param="pid")
        return pid


class DatasetParams(ParamSerializer):
    """aoi, year, ptype: one parcel dataset; validated as `dataset` (a DatasetKey)."""

    aoi = AoiParam(help_text="AOI code (member state or region), e.g. nl")
    year = IntParam(lo=1900, hi=2100, help_text="the dataset's year")
    ptype = PtypeParam(help_text="parcel type (e.g. b, g, m); empty for the main set")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs["dataset"] = DatasetKey(attrs.pop("aoi"), attrs.pop("year"), attrs.pop("ptype"))
        return attrs


class ParcelParams(DatasetParams):
    """A parcel: its dataset and pid."""

    pid = PidParam(help_text="parcel id")
