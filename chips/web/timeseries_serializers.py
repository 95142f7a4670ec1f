"""parcelTimeSeries' parameters and answer, declared once (common.params explains the
order): the view validates with them and drf-spectacular publishes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from chips.signatures.s1_series import SarSeriesRequest
from chips.signatures.series import S2_BANDS, SeriesRequest
from chips.web.serializers import BAND_HELP, BANDS, LevelParam, parse_band
from common.errors import BadParameter
from common.params import BoolParam, DateParam, FloatParam, IntParam, ParamField
from parcels.params import ParcelParams

# Sentinel-1: bs (backscatter, bands VVb VHb) and c6 (6-day coherence, VVc VHc).
S1_TSTYPES = ("bs", "c6")
TSTYPES = ("s2", "scl", *S1_TSTYPES)
TSFORMATS = ("json", "csv")
DIRECTIONS = ("ASCENDING", "DESCENDING")
S1_BANDS = ("VV", "VH", "VVb", "VHb", "VVc", "VHc")


class WordParam(ParamField, serializers.ChoiceField):
    """One of a few words (published as the enum); anything else answers 400 naming it."""

    def __init__(self, *, choices: tuple[str, ...], default: str, **kwargs: Any) -> None:
        super().__init__(choices=list(choices), default=default, required=False, **kwargs)

    def parse(self, value: str) -> str:
        word = value.strip().lower()
        if word not in self.choices:
            allowed = " or ".join(str(c) for c in self.choices)
            raise BadParameter(
                f"{self.param}={value!r}: use {allowed}",
                param=self.param,
                choices=[str(c) for c in self.choices],
            )
        return word


class SeriesBandParam(ParamField, serializers.ChoiceField):
    """One band: a Sentinel-2 band, or (bs, c6) VV/VH, also as VVb/VHb/VVc/VHc."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[*BANDS, *S1_BANDS], **kwargs)


class DirectionParam(ParamField, serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(DIRECTIONS), required=False, **kwargs)

    def parse(self, value: str) -> str:
        word = value.strip().upper()
        if word not in DIRECTIONS:
            raise BadParameter(f"orbit_direction={value!r}: use ASCENDING or DESCENDING",
                               param="orbit_direction", choices=list(DIRECTIONS))  # fmt: skip
        return word


class ParcelTimeSeriesQuery(ParcelParams):
    """parcelTimeSeries: the parcel first (as the CbM client sends it), then the series."""

    tstype = WordParam(choices=TSTYPES, default="s2", help_text="s2: band statistics; scl: "
                       "the SCL class histogram; bs: Sentinel-1 backscatter (VHb, VVb, "
                       "linear); c6: 6-day coherence (VHc, VVc)")  # fmt: skip
    plevel = LevelParam(source="level", help_text="processing level (Sentinel-2)")
    band = SeriesBandParam(
        required=False,
        help_text=f"one band only: tstype=s2 {BAND_HELP}; bs/c6 VV or VH (VVb, VHc...)",
    )
    scl = BoolParam(default=True, help_text="add the parcel's SCL histogram (hist) to s2 rows")
    ref = BoolParam(help_text="add the product id of each row (reference)")
    tsformat = WordParam(choices=TSFORMATS, default="json", help_text="json columns, or csv")
    start_date = DateParam(
        source="start", required=False, help_text="first sensing date (UTC); default Jan 1"
    )
    end_date = DateParam(
        source="end", required=False, help_text="last sensing date (UTC); default Dec 31"
    )
    harmonize = BoolParam(
        help_text="add the baseline's radiometric offset (BOA_ADD_OFFSET, -1000 from 04.00) "
        "to the DN statistics, so values compare across baselines"
    )
    min_clear = FloatParam(
        lo=0,
        hi=100,
        required=False,
        help_text="only acquisitions where at least this percent of the parcel's SCL pixels "
        "are clear (classes 4 5 6 7 by default)",
    )

    orbit = BoolParam(help_text="bs/c6: add orbit_direction and relative_orbit columns")
    orbit_direction = DirectionParam(help_text="bs/c6: only passes in this direction")
    relative_orbit = IntParam(lo=1, hi=175, required=False,
                              help_text="bs/c6: only this relative orbit (track)")  # fmt: skip

    def check_plevel(self, value: str, values: dict[str, Any]) -> str:
        # The SCL band exists in L2A products only: an L1C class histogram has no source.
        if values["tstype"] == "scl" and value != "LEVEL2A":
            raise BadParameter("tstype=scl needs the SCL band: plevel=LEVEL2A", param="plevel")
        return value

    def check_band(self, value: str | None, values: dict[str, Any]) -> str | None:
        if value is None:
            return None
        if values["tstype"] in S1_TSTYPES:
            suffix = "b" if values["tstype"] == "bs" else "c"
            pol = value[:2].upper()
            if pol not in ("VV", "VH") or value[2:] not in ("", suffix):
                raise BadParameter(
                    f"band={value!r}: tstype={values['tstype']} has VV{suffix} and VH{suffix}",
                    param="band", choices=[f"VV{suffix}", f"VH{suffix}"],
                )  # fmt: skip
            return pol
        return parse_band(value, values["level"])

    def check_end_date(self, value: dt.date | None, values: dict[str, Any]) -> dt.date | None:
        start = values["start"]
        if start is not None and value is not None and start > value:
            raise BadParameter("start_date is after end_date", param="start_date")
        return value

    def check_min_clear(self, value: float | None, values: dict[str, Any]) -> float | None:
        if value is not None and values["tstype"] in S1_TSTYPES:
            raise BadParameter("min_clear applies to Sentinel-2 (radar sees through clouds)",
                               param="min_clear")  # fmt: skip
        if value is not None and values["level"] != "LEVEL2A":
            raise BadParameter("min_clear needs the SCL band: plevel=LEVEL2A", param="min_clear")
        return value

    @classmethod
    def sar_series(cls, values: dict[str, Any]) -> SarSeriesRequest:
        year = values["dataset"].year
        band = values["band"]
        return SarSeriesRequest(
            tstype=values["tstype"],
            polarisations=(band,) if band else ("VH", "VV"),
            start=values["start"] or dt.date(year, 1, 1),
            end=values["end"] or dt.date(year, 12, 31),
            with_reference=values["ref"],
            with_orbit=values["orbit"],
            orbit_direction=values["orbit_direction"],
            relative_orbit=values["relative_orbit"],
        )

    @classmethod
    def series(cls, values: dict[str, Any]) -> SeriesRequest:
        """The SeriesRequest of validated values; the window defaults to the dataset's year."""
        year = values["dataset"].year
        scl = values["tstype"] == "scl"
        band = values["band"]
        return SeriesRequest(
            tstype=values["tstype"],
            bands=() if scl else ((band,) if band else S2_BANDS),
            with_hist=scl or (values["scl"] and values["level"] == "LEVEL2A"),
            with_reference=values["ref"],
            level=values["level"],
            start=values["start"] or dt.date(year, 1, 1),
            end=values["end"] or dt.date(year, 12, 31),
            harmonize=values["harmonize"],
            min_clear=values["min_clear"],
        )


class TimeSeriesColumns(serializers.Serializer):
    """One row per acquisition and band, by date then band: the lists are parallel."""

    date_part = serializers.ListField(
        child=serializers.FloatField(), help_text="sensing time, epoch seconds (UTC)"
    )
    band = serializers.ListField(
        child=serializers.CharField(), help_text="B02 ... or SCL; VHb VVb (bs), VHc VVc (c6)"
    )
    count = serializers.ListField(child=serializers.IntegerField(), help_text="valid pixels")
    mean = serializers.ListField(child=serializers.FloatField(allow_null=True))
    std = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="population"
    )
    min = serializers.ListField(child=serializers.FloatField(allow_null=True))
    p25 = serializers.ListField(child=serializers.FloatField(allow_null=True))
    p50 = serializers.ListField(child=serializers.FloatField(allow_null=True))
    p75 = serializers.ListField(child=serializers.FloatField(allow_null=True))
    max = serializers.ListField(child=serializers.FloatField(allow_null=True))
    hist = serializers.ListField(
        child=serializers.CharField(allow_null=True),
        required=False,
        help_text='SCL class histogram as a JSON object string, e.g. {"4": 180, "8": 7}',
    )
    reference = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="product id (ref=True)"
    )
    orbit_direction = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="ASCENDING or DESCENDING (bs/c6, orbit=True)",
    )
    relative_orbit = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="track 1..175 (bs/c6, orbit=True)",
    )
