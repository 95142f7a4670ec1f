"""Query-parameter parsing shared by the API views: each helper names the parameter it
rejects, so a bad request answers 400 `{"error": ..., "param": ...}`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping

from common.errors import BadParameter

TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


def get_str(params: Mapping[str, str], name: str, *, default: str | None = None) -> str:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise BadParameter(f"{name} is required", param=name)
        return default
    return value


def get_bool(params: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadParameter(f"{name}={value!r} is not a boolean (True/False/true/false/1/0)", param=name)


def _get_number(
    params: Mapping[str, str],
    name: str,
    *,
    convert: Callable[[str], float],
    kind: str,
    lo: float,
    hi: float,
    default: float | None,
) -> float:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise BadParameter(f"{name} is required ({lo}..{hi})", param=name)
        return default
    try:
        number = convert(value)
    except ValueError:
        raise BadParameter(f"{name}={value!r} is not {kind} ({lo}..{hi})", param=name) from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise BadParameter(f"{name}={value!r} is out of range ({lo}..{hi})", param=name)
    return number


def get_float(
    params: Mapping[str, str],
    name: str,
    *,
    lo: float,
    hi: float,
    default: float | None = None,
) -> float:
    return _get_number(params, name, convert=float, kind="a number", lo=lo, hi=hi, default=default)


def get_int(
    params: Mapping[str, str],
    name: str,
    *,
    lo: int,
    hi: int,
    default: int | None = None,
) -> int:
    return int(
        _get_number(params, name, convert=int, kind="an integer", lo=lo, hi=hi, default=default)
    )


def get_date(params: Mapping[str, str], name: str) -> dt.date:
    value = get_str(params, name)
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else _bad_date(name, value)
    except ValueError:
        return _bad_date(name, value)


def _bad_date(name: str, value: str) -> dt.date:
    raise BadParameter(f"{name}={value!r} is not a date (YYYY-mm-dd)", param=name)


def get_date_window(params: Mapping[str, str]) -> tuple[dt.date, dt.date]:
    start = get_date(params, "start_date")
    end = get_date(params, "end_date")
    if start > end:
        raise BadParameter("start_date is after end_date", param="start_date")
    return start, end
