"""The chip endpoints' parameters and answers, declared once: the views validate with these
serializers and drf-spectacular publishes them (common.params explains the order)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from chips.composite import s1_params
from chips.composite.params import (
    COMPOSITE_RESOLUTIONS,
    DEFAULT_BANDS,
    DEFAULT_LUT,
    parse_bands,
    parse_lut,
)
from chips.models import JobStatus, Level
from chips.raster.bands import BAND_RESOLUTION, LEVEL_BANDS
from chips.raster.render import Lut
from common.errors import BadParameter
from common.params import (
    BodyListParam,
    BoolParam,
    DateParam,
    FloatParam,
    IntParam,
    JsonBodyParams,
    ParamField,
    ParamSerializer,
    PointParams,
    TextParam,
)
from parcels.params import ParcelParams

# Sentinel-1 products as plevel (chips.raw.s1), their bands the polarisations.
S1_LEVELS = ("CARD-BS", "CARD-COH6")
S1_POLARISATIONS = ("VV", "VH")
DEFAULT_CHIPSIZE = 1280
MIN_CHIPSIZE, MAX_CHIPSIZE = 10, 5120
BANDS = tuple(BAND_RESOLUTION)
BAND_HELP = (
    "10 m B02 B03 B04 B08; 20 m B05 B06 B07 B8A B11 B12 SCL; 60 m B01 B09 "
    "(B10 LEVEL1C only; SCL LEVEL2A only)"
)
_COMPOSITE_BAND = "|".join(b for b in BANDS if BAND_RESOLUTION[b] in COMPOSITE_RESOLUTIONS)
_NUMBER = r"-?[0-9]+(\.[0-9]+)?"


def parse_level(value: str | None, *, s1: bool = False) -> str:
    """plevel: LEVEL2A (the default, also for an empty value) or LEVEL1C; with `s1` also
    the Sentinel-1 kinds CARD-BS and CARD-COH6 (the raw chip endpoints)."""
    level = value or Level.L2A
    if s1 and level.upper() in S1_LEVELS:
        return level.upper()
    if level not in LEVEL_BANDS:
        choices = [*LEVEL_BANDS, *S1_LEVELS] if s1 else list(LEVEL_BANDS)
        raise BadParameter(
            f"plevel={value!r}: use {' or '.join(choices)}", param="plevel", choices=choices
        )
    return level


def parse_band(value: str, level: str, param: str = "band") -> str:
    if level in S1_LEVELS:
        if value.upper() not in S1_POLARISATIONS:
            raise BadParameter(f"{param}={value!r}: {level} has bands VV and VH", param=param,
                               choices=list(S1_POLARISATIONS))  # fmt: skip
        return value.upper()
    if value not in LEVEL_BANDS[level]:
        allowed = " ".join(LEVEL_BANDS[level])
        raise BadParameter(
            f"{param}={value!r} is not a {level} band ({allowed})",
            param=param,
            choices=list(LEVEL_BANDS[level]),
        )
    return value


def any_band(value: str) -> str:
    if value not in BAND_RESOLUTION:
        raise BadParameter(f"bands: {value!r} is not a Sentinel-2 band", param="bands")
    return value


class LevelParam(ParamField, serializers.ChoiceField):
    """plevel; `optional`: absent means any level (rawChipsBatch), not LEVEL2A; `s1`: the
    Sentinel-1 kinds are levels too (the raw chip endpoints)."""

    def __init__(self, *, optional: bool = False, s1: bool = False, **kwargs: Any) -> None:
        default = serializers.empty if optional else Level.L2A
        self.s1 = s1
        choices = [*LEVEL_BANDS, *S1_LEVELS] if s1 else list(LEVEL_BANDS)
        super().__init__(choices=choices, default=default, required=False, **kwargs)

    def parse(self, value: str) -> str:
        return parse_level(value, s1=self.s1)


class ChipsizeParam(IntParam):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(lo=MIN_CHIPSIZE, hi=MAX_CHIPSIZE, default=DEFAULT_CHIPSIZE, **kwargs)


class BandParam(ParamField, serializers.ChoiceField):
    """One band name; the serializer checks it against the level (`check_band`)."""

    def __init__(self, *, s1: bool = False, **kwargs: Any) -> None:
        super().__init__(choices=[*BANDS, *S1_POLARISATIONS] if s1 else BANDS, **kwargs)


class PatternParam(TextParam):
    """A string of this form (published as its pattern); the serializer parses it."""

    def __init__(self, *, pattern: str, **kwargs: Any) -> None:
        super().__init__(validators=[RegexValidator(pattern)], **kwargs)


class DateWindowParams(ParamSerializer):
    """start_date..end_date, inclusive (UTC sensing dates)."""

    start_date = DateParam(source="start", help_text="first sensing date (UTC), inclusive")
    end_date = DateParam(source="end", help_text="last sensing date (UTC), inclusive")

    def check_end_date(self, value: dt.date, values: dict[str, Any]) -> dt.date:
        if values["start"] > value:
            raise BadParameter("start_date is after end_date", param="start_date")
        return value


class RawWindowParams(DateWindowParams):
    """What the raw chip endpoints share besides the point."""

    plevel = LevelParam(
        source="level", s1=True, help_text="processing level; CARD-BS or CARD-COH6: Sentinel-1"
    )
    band = BandParam(s1=True, help_text=f"{BAND_HELP}; VV or VH (Sentinel-1)")
    chipsize = ChipsizeParam(help_text="side of the square chip, metres")
    refresh = BoolParam(help_text="cut again what the cache holds")
    onlylist = BoolParam(help_text="list the acquisitions (product ids), cut nothing")
    async_ = BoolParam(source="background", help_text="answer 202 with the job at once")

    def check_band(self, value: str, values: dict[str, Any]) -> str:
        return parse_band(value, values["level"])


class RawChipByLocationQuery(PointParams, RawWindowParams):
    """rawChipByLocation: lon and lat first, then the window."""


class MinClearParams(ParamSerializer):
    """min_clear on the parcel endpoints: chips of the parcel's clear dates only."""

    min_clear = FloatParam(
        lo=0,
        hi=100,
        required=False,
        help_text="only acquisitions where at least this percent of the parcel's SCL pixels "
        "are clear (classes 4 5 6 7 by default; LEVEL2A)",
    )

    def check_min_clear(self, value: float | None, values: dict[str, Any]) -> float | None:
        if value is not None and values.get("level") != Level.L2A:
            raise BadParameter("min_clear needs the SCL band: plevel=LEVEL2A", param="min_clear")
        return value


class RawChipByParcelQuery(RawWindowParams, ParcelParams, MinClearParams):
    """rawChipByParcelID: the window first, then the parcel (as they were always checked)."""


class RawChipsBatchBody(JsonBodyParams, PointParams):
    """rawChipsBatch: every asked product x band."""

    plevel = LevelParam(
        optional=True,
        source="level",
        help_text="check the products and bands against this level; without it, each "
        "band against its product's level",
    )
    tiles = BodyListParam(
        child=serializers.CharField(),
        message="tiles must be a non-empty list of product ids",
        help_text="product ids (with or without .SAFE)",
    )
    bands = BodyListParam(
        child=serializers.ChoiceField(choices=BANDS),
        message="bands must be a non-empty list of band names",
        help_text=BAND_HELP,
    )
    chipsize = ChipsizeParam(help_text="side of the square chip, metres")
    async_ = BoolParam(source="background", help_text="answer 202 with the job at once")

    def check_bands(self, value: list[str], values: dict[str, Any]) -> list[str]:
        # Without plevel, a band is checked against each product's level as it is cut
        # (a product has no asset for a band its level does not carry).
        level = values["level"]
        return [
            parse_band(b, level, "bands") if level else any_band(b) for b in dict.fromkeys(value)
        ]


class DatesParam(BodyListParam):
    """rawS1ChipsBatch's ["YYYY-mm-dd", "YYYY-mm-dd"]: the first and last sensing date."""

    def parse(self, value: Any) -> list[str]:
        dates = super().parse(value)
        try:
            if len(dates) != 2 or any(len(d) != 10 for d in dates):
                raise ValueError
            start, end = (dt.date.fromisoformat(d) for d in dates)
        except ValueError:
            raise BadParameter(self.message, param=self.param) from None
        if start > end:
            raise BadParameter("dates: the first date is after the second", param="dates")
        return dates


class RawS1ChipsBatchBody(JsonBodyParams, PointParams):
    """rawS1ChipsBatch: the JRC's five keys, and cbmweb's orbit filters."""

    dates = DatesParam(
        child=serializers.CharField(),
        message='dates must be ["YYYY-mm-dd", "YYYY-mm-dd"] (first and last sensing date)',
        help_text="first and last sensing date (UTC), inclusive",
    )
    chipsize = IntParam(lo=MIN_CHIPSIZE, hi=MAX_CHIPSIZE, help_text="side of the chip, metres")
    plevel = PatternParam(pattern="^(CARD-BS|CARD-COH6)$", help_text="CARD-BS or CARD-COH6")
    orbit_direction = PatternParam(
        pattern="^(ASCENDING|DESCENDING)$", required=False, help_text="only these passes"
    )
    relative_orbit = IntParam(lo=1, hi=175, required=False, help_text="only this track")
    async_ = BoolParam(source="background", help_text="answer 202 with the job at once")

    KEYS = ("lon", "lat", "dates", "chipsize", "plevel", "orbit_direction", "relative_orbit",
            "async")  # fmt: skip

    def check_plevel(self, value: str, values: dict[str, Any]) -> str:
        if value.upper() not in S1_LEVELS:
            raise BadParameter(f"plevel={value!r}: use CARD-BS or CARD-COH6", param="plevel",
                               choices=list(S1_LEVELS))  # fmt: skip
        return value.upper()

    def check_orbit_direction(self, value: str | None, values: dict[str, Any]) -> str | None:
        if value is not None and value.upper() not in ("ASCENDING", "DESCENDING"):
            raise BadParameter(f"orbit_direction={value!r}: use ASCENDING or DESCENDING",
                               param="orbit_direction")  # fmt: skip
        return None if value is None else value.upper()

    @classmethod
    def check_keys(cls, body: Any) -> None:
        """Unknown keys answer 400 naming the first (the JRC answered 200 {"error"})."""
        if isinstance(body, dict):
            for key in body:
                if key not in cls.KEYS:
                    # An empty key has no name to give: the body is what is wrong.
                    raise BadParameter(f"unknown key {key!r} (use {', '.join(cls.KEYS)})",
                                       param=str(key) or "body")  # fmt: skip


class CompositeParams(DateWindowParams):
    """What the composite pages share besides the point or parcel."""

    plevel = LevelParam(
        source="level",
        s1=True,
        help_text="processing level; CARD-BS (VV dB, VH dB, VV/VH dB as R, G, B) or "
        "CARD-COH6 (VV, VH, VV coherence): Sentinel-1, `bands` then does not apply",
    )
    bands = PatternParam(
        pattern=f"^({_COMPOSITE_BAND})_({_COMPOSITE_BAND})_({_COMPOSITE_BAND})$",
        default=DEFAULT_BANDS,
        help_text="three 10 m or 20 m bands joined by '_' (R_G_B); the first sets the grid",
    )
    lut = PatternParam(
        pattern=f"^{_NUMBER}_{_NUMBER}((_{_NUMBER}){{4}})?$",
        default=DEFAULT_LUT,
        help_text="lo_hi: percentiles of each chip's valid pixels (0 <= lo < hi <= 100); or "
        "lo_hi_lo_hi_lo_hi: band values per band",
    )
    chipsize = ChipsizeParam(help_text="side of the square chip, metres")
    refresh = BoolParam(help_text="make again what the cache holds")

    def check_bands(self, value: str, values: dict[str, Any]) -> tuple[str, str, str]:
        if values["level"] in S1_LEVELS:  # what a Sentinel-1 composite shows is fixed
            return s1_params.CHANNELS[values["level"]]
        return parse_bands(value, plevel=values["level"])

    def check_lut(self, value: str, values: dict[str, Any]) -> Lut:
        if values["level"] in S1_LEVELS and value == DEFAULT_LUT:
            # Sentinel-1: the default stretch is absolute, in dB (coherence 0..1).
            return s1_params.DEFAULT_LUTS[values["level"]]
        return parse_lut(value)


class JobIdParam(ParamField, serializers.UUIDField):
    """A job id, as sent: one that is no id answers 404 as an unknown job does."""


class CompositeJobQuery(ParamSerializer):
    """`job`: the page's poll of its composite job (the other parameters are then unread)."""

    job = JobIdParam(
        required=False, help_text="a composite job id: answer where it stands (JSON) instead"
    )


class ChipsByLocationQuery(PointParams, CompositeParams):
    """chipsByLocation: lon and lat first."""


class ChipsByParcelQuery(CompositeParams, ParcelParams, MinClearParams):
    """chipsByParcelID: the composite parameters first, then the parcel."""


# --- answers (for the schema; the views build the bodies) -----------------------------------
class RawChips(serializers.Serializer):
    """One entry per acquisition, by date: the lists are parallel."""

    dates = serializers.ListField(
        child=serializers.CharField(),
        help_text="sensing times, e.g. 20190615T105031 (rawChipsBatch: <sensing time>_<band>)",
    )
    chips = serializers.ListField(
        child=serializers.CharField(allow_null=True),
        help_text="/dump/<token>/<product>.<band>.tif (onlylist=True: the product ids); null "
        "where the chip could not be cut",
    )
    # Named like Serializer.errors: fine, the metaclass takes declared fields off the class.
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(allow_null=True),
        required=False,
        help_text="only when a chip could not be cut: why, for that date (null elsewhere)",
    )


class ChipJob(serializers.Serializer):
    """A chip job: where it stands; with its answer once over."""

    job = serializers.UUIDField()
    url = serializers.CharField(help_text="/query/jobs/<job>, to poll")
    status = serializers.ChoiceField(choices=JobStatus.values)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    result = RawChips(required=False, help_text="once the job is over")


class CompositeItem(serializers.Serializer):
    id = serializers.CharField(help_text="sensing time, e.g. 20190615T105031")
    date = serializers.DateField(required=False)
    product = serializers.CharField()
    src = serializers.CharField(allow_null=True, help_text="/dump/<token>/<product>.png")
    empty = serializers.BooleanField(help_text="no valid pixel: no image")
    cloud = serializers.CharField(allow_null=True, help_text="cloud share, e.g. '12 %'")
    stretch = serializers.CharField(allow_null=True, help_text="band values shown black..full")
    width = serializers.IntegerField(required=False)
    height = serializers.IntegerField(required=False)


class FailedDate(serializers.Serializer):
    id = serializers.CharField(help_text="sensing time of the acquisition not shown")
    error = serializers.CharField(help_text="why: its band file could not be read")


class CompositeAnswer(serializers.Serializer):
    """The composite page's data (format=json); with `job=`: the poll (no job, dates, chips)."""

    state = serializers.ChoiceField(choices=JobStatus.values)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    job = serializers.UUIDField(required=False, allow_null=True)
    dates = serializers.ListField(child=serializers.CharField(), required=False)
    chips = serializers.ListField(child=serializers.CharField(), required=False)
    items = CompositeItem(many=True)
    failed = FailedDate(many=True, help_text="acquisitions whose band files could not be read")
