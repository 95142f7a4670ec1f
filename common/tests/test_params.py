"""The shared parameter fields and ParamSerializer: wordings, absent values, the order in
which parameters are checked, and JSON bodies read like query strings."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.http import QueryDict

from common.errors import BadParameter
from common.params import (
    BodyListParam,
    BoolParam,
    DateParam,
    FloatParam,
    IntParam,
    JsonBodyParams,
    ParamSerializer,
    PointParams,
    TextParam,
)


class Sample(ParamSerializer):
    lon = FloatParam(lo=-180, hi=180)
    chipsize = IntParam(lo=10, hi=5120, default=1280)
    start_date = DateParam(source="start")
    end_date = DateParam(source="end")
    band = TextParam()
    refresh = BoolParam()
    only_ids = BoolParam(default=True)
    async_ = BoolParam(source="background")

    def check_end_date(self, value: dt.date, values: dict[str, Any]) -> dt.date:
        if values["start"] > value:
            raise BadParameter("start_date is after end_date", param="start_date")
        return value


GOOD = {"lon": "5.9", "start_date": "2024-04-01", "end_date": "2024-04-30", "band": "B04"}


def rejection(params: Any, serializer: type[ParamSerializer] = Sample) -> tuple[str | None, str]:
    with pytest.raises(BadParameter) as err:
        serializer.validated(params)
    return err.value.param, err.value.message


def test_valid_values_and_defaults() -> None:
    values = Sample.validated(GOOD)
    assert values == {
        "lon": 5.9,
        "chipsize": 1280,
        "start": dt.date(2024, 4, 1),
        "end": dt.date(2024, 4, 30),
        "band": "B04",
        "refresh": False,
        "only_ids": True,
        "background": False,
    }


def test_the_usual_drf_calls_work_too() -> None:
    serializer = Sample(data=GOOD | {"chipsize": "640"})
    assert serializer.is_valid()
    assert serializer.validated_data["chipsize"] == 640


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("True", True),
        ("true", True),
        ("1", True),
        ("yes", True),
        (" TRUE ", True),
        ("False", False),
        ("false", False),
        ("0", False),
        ("no", False),
    ],
)
def test_booleans_accept_the_cbm_spellings(raw: str, expected: bool) -> None:
    assert Sample.validated(GOOD | {"refresh": raw})["refresh"] is expected


def test_a_keyword_named_parameter_is_declared_with_an_underscore() -> None:
    assert "async" in Sample().fields
    assert Sample.validated(GOOD | {"async": "1"})["background"] is True


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("lon", "", "lon is required (-180..180)"),
        ("lon", "abc", "lon='abc' is not a number (-180..180)"),
        ("lon", "nan", "lon='nan' is out of range (-180..180)"),
        ("lon", "inf", "lon='inf' is out of range (-180..180)"),
        ("lon", "-180.5", "lon='-180.5' is out of range (-180..180)"),
        ("chipsize", "6000", "chipsize='6000' is out of range (10..5120)"),
        ("chipsize", "12.5", "chipsize='12.5' is not an integer (10..5120)"),
        ("start_date", "2024-4-1", "start_date='2024-4-1' is not a date (YYYY-mm-dd)"),
        ("start_date", "2024-02-30", "start_date='2024-02-30' is not a date (YYYY-mm-dd)"),
        ("end_date", "", "end_date is required"),
        ("start_date", "2024-05-01", "start_date is after end_date"),
        ("band", "", "band is required"),
        ("refresh", "maybe", "refresh='maybe' is not a boolean (True/False/true/false/1/0)"),
    ],
)
def test_rejections_name_the_parameter_in_the_old_words(
    param: str, value: str, message: str
) -> None:
    assert rejection(GOOD | {param: value}) == (param, message)


def test_empty_is_absent_and_missing_is_the_required_message() -> None:
    assert rejection({k: v for k, v in GOOD.items() if k != "lon"}) == (
        "lon",
        "lon is required (-180..180)",
    )
    assert Sample.validated(GOOD | {"chipsize": "", "refresh": ""})["chipsize"] == 1280


def test_the_first_bad_parameter_in_declaration_order_is_named() -> None:
    bad = {"lon": "x", "chipsize": "1", "start_date": "no", "band": "", "refresh": "?"}
    assert rejection(bad)[0] == "lon"
    assert rejection(GOOD | {k: bad[k] for k in ("chipsize", "band", "refresh")})[0] == "chipsize"
    # A check on two fields keeps its place: before band, after end_date.
    later = {"start_date": "2024-05-01", "band": "", "refresh": "?"}
    assert rejection(GOOD | later)[1] == "start_date is after end_date"


def test_a_repeated_query_parameter_counts_by_its_last_value() -> None:
    query = QueryDict("lon=500&lon=5&start_date=2024-04-01&end_date=2024-04-30&band=B04")
    assert Sample.validated(query)["lon"] == 5.0


def test_the_schema_reads_types_and_bounds_from_drf_fields() -> None:
    lon, lat = (cast(FloatParam, PointParams().fields[name]) for name in ("lon", "lat"))
    assert (lon.min_value, lon.max_value) == (-180, 180)
    assert (lat.min_value, lat.max_value) == (-90, 90)
    assert lon.required and not Sample().fields["chipsize"].required
    assert Sample().fields["chipsize"].default == 1280


class Body(JsonBodyParams):
    lon = FloatParam(lo=-180, hi=180)
    tiles = BodyListParam(message="tiles must be a non-empty list of product ids")
    async_ = BoolParam(source="background")


def test_a_json_body_reads_scalars_as_their_text() -> None:
    tiles: dict[str, Any] = {"tiles": ["a"]}
    assert (
        Body.validated({"lon": 5.5} | tiles)["lon"] == Body.validated({"lon": "5.5"} | tiles)["lon"]
    )
    assert rejection({"lon": 200} | tiles, Body) == ("lon", "lon='200' is out of range (-180..180)")
    assert rejection({"lon": True} | tiles, Body) == (
        "lon",
        "lon='True' is not a number (-180..180)",
    )
    # An object or a list where a scalar belongs is absent.
    assert rejection({"lon": [1]} | tiles, Body) == ("lon", "lon is required (-180..180)")
    assert Body.validated({"lon": 1, "async": True} | tiles)["background"] is True


@pytest.mark.parametrize("tiles", [None, "", "a", [], [1], ["a", 2]])
def test_a_body_list_must_hold_strings(tiles: object) -> None:
    assert rejection({"lon": 1, "tiles": tiles}, Body) == (
        "tiles",
        "tiles must be a non-empty list of product ids",
    )


@pytest.mark.parametrize("body", [[], "x", None, 5])
def test_a_body_must_be_an_object(body: object) -> None:
    assert rejection(body, Body) == ("body", "the body must be a JSON object")
