"""Query-parameter parsing: every rejection names its parameter."""

import datetime as dt

import pytest

from common.errors import BadParameter
from common.params import get_bool, get_date_window, get_float, get_int, get_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("True", True), ("true", True), ("1", True), ("False", False), ("false", False), ("0", False)],
)
def test_booleans_accept_the_cbm_spellings(raw: str, expected: bool) -> None:
    assert get_bool({"onlylist": raw}, "onlylist") is expected


def test_boolean_default_and_rejection() -> None:
    assert get_bool({}, "refresh", default=True) is True
    with pytest.raises(BadParameter) as err:
        get_bool({"refresh": "maybe"}, "refresh")
    assert err.value.param == "refresh"


@pytest.mark.parametrize("raw", ["", "abc", "nan", "inf", "181", "-180.5"])
def test_float_out_of_range_or_malformed(raw: str) -> None:
    params = {"lon": raw} if raw else {}
    with pytest.raises(BadParameter) as err:
        get_float(params, "lon", lo=-180, hi=180)
    assert err.value.param == "lon"


def test_float_and_int_in_range() -> None:
    assert get_float({"lat": "52.25"}, "lat", lo=-90, hi=90) == 52.25
    assert get_int({"chipsize": "640"}, "chipsize", lo=10, hi=5120) == 640
    assert get_int({}, "chipsize", lo=10, hi=5120, default=1280) == 1280
    with pytest.raises(BadParameter):
        get_int({"chipsize": "6000"}, "chipsize", lo=10, hi=5120)
    with pytest.raises(BadParameter):
        get_int({"chipsize": "12.5"}, "chipsize", lo=10, hi=5120)


def test_date_window() -> None:
    start, end = get_date_window({"start_date": "2024-04-01", "end_date": "2024-04-30"})
    assert (start, end) == (dt.date(2024, 4, 1), dt.date(2024, 4, 30))
    for bad in (
        {"start_date": "2024-4-1", "end_date": "2024-04-30"},
        {"start_date": "2024-02-30", "end_date": "2024-04-30"},
        {"end_date": "2024-04-30"},
    ):
        with pytest.raises(BadParameter) as err:
            get_date_window(bad)
        assert err.value.param == "start_date"
    with pytest.raises(BadParameter) as err:
        get_date_window({"start_date": "2024-05-01", "end_date": "2024-04-30"})
    assert err.value.param == "start_date"


def test_required_string() -> None:
    with pytest.raises(BadParameter) as err:
        get_str({}, "band")
    assert err.value.param == "band"
