"""Parameter declarations shared by the apps: DRF fields and a serializer base that answer a
bad value with BadParameter naming it (400 `{"error": ..., "param": ...}`), and that
drf-spectacular reads to publish each parameter's type, bounds, default and required flag.

Why not DRF's own validation: the CbM clients read our wordings, and a request with several
bad parameters must name the same one first as it always has. So a field raises its own
BadParameter (which passes straight out of `is_valid()`), and `ParamSerializer` checks
fields one by one in declaration order, stopping at the first bad one.
"""

from __future__ import annotations

import datetime as dt
import keyword
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

from rest_framework import serializers
from rest_framework.fields import empty

from common.errors import BadParameter

TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class ParamField(serializers.Field):
    """Base of the parameter fields (mixed in before a typed DRF field, which gives the
    schema its type): a missing or empty ('') value is absent, and answers the field's
    default, None when optional, else the `required_message`."""

    @property
    def param(self) -> str:
        """The parameter's name (the field's, once bound to its serializer)."""
        return cast(str, self.field_name)

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        # .get, not DRF's HTML-form handling: a repeated query parameter counts by its last
        # value (QueryDict.get), and booleans get no implicit False.
        value = dictionary.get(self.param)
        return empty if value is None or value == "" else value

    def run_validation(self, data: Any = empty) -> Any:
        if data is empty:
            return self.absent()
        if isinstance(data, str) and "\x00" in data:
            # No parameter is binary: PostgreSQL refuses NUL in text, so it stops here.
            raise BadParameter(f"{self.param} holds a NUL character", param=self.param)
        return self.parse(data)

    def absent(self) -> Any:
        if self.default is not empty:
            return self.get_default()
        if self.required:
            raise BadParameter(self.required_message(), param=self.param)
        return None

    def required_message(self) -> str:
        return f"{self.param} is required"

    def parse(self, value: Any) -> Any:
        return value


class TextParam(ParamField, serializers.CharField):
    """A string, as sent (no trimming)."""


class BoolParam(ParamField, serializers.BooleanField):
    """True/False/true/false/1/0/yes/no, in any case."""

    def __init__(self, *, default: bool = False, **kwargs: Any) -> None:
        super().__init__(default=default, **kwargs)

    def parse(self, value: str) -> bool:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise BadParameter(
            f"{self.param}={value!r} is not a boolean (True/False/true/false/1/0)",
            param=self.param,
        )


class _NumberParam(ParamField):
    """A finite number within [lo, hi]; the messages quote the bounds."""

    convert: Callable[[str], float]
    kind: str

    def __init__(
        self, *, lo: float, hi: float, default: float | None = None, **kwargs: Any
    ) -> None:
        self.lo, self.hi = lo, hi  # also min_value/max_value of the DRF field: the schema's
        default_value = empty if default is None else default
        # The next class in the MRO is FloatField or IntegerField, which take the bounds.
        super().__init__(min_value=lo, max_value=hi, default=default_value, **kwargs)  # type: ignore[call-arg]

    def _bounds(self) -> str:
        return f"({self.lo}..{self.hi})"

    def required_message(self) -> str:
        return f"{self.param} is required {self._bounds()}"

    def parse(self, value: str) -> float:
        name = self.param
        try:
            number = type(self).convert(value)
        except ValueError:
            message = f"{name}={value!r} is not {self.kind} {self._bounds()}"
            raise BadParameter(message, param=name) from None
        # An int is always finite (and may be too large for a float: no isfinite on it).
        finite = not isinstance(number, float) or math.isfinite(number)
        if not finite or not self.lo <= number <= self.hi:
            raise BadParameter(f"{name}={value!r} is out of range {self._bounds()}", param=name)
        return number


class FloatParam(_NumberParam, serializers.FloatField):
    convert = float
    kind = "a number"


class IntParam(_NumberParam, serializers.IntegerField):
    convert = int
    kind = "an integer"


class DateParam(ParamField, serializers.DateField):
    """A calendar date written YYYY-mm-dd."""

    def parse(self, value: str) -> dt.date:
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise BadParameter(f"{self.param}={value!r} is not a date (YYYY-mm-dd)", param=self.param)


class ParamSerializer(serializers.Serializer):
    """The parameters of a request, checked in declaration order; the first bad one raises
    BadParameter. After field `<name>`, a method `check_<name>(value, values)` (when there is
    one) sees the values checked so far (keyed by source) and may reject or convert the value:
    how a field that depends on an earlier one (a band on the level) keeps its place in the
    order. A field named after a Python keyword is declared with a trailing underscore
    (`async_` is the parameter `async`)."""

    # Set by `bound()` only: (field, its check or None, its source) in declaration order.
    _steps: list[tuple[serializers.Field, Callable[[Any, dict[str, Any]], Any] | None, str]]
    _bound_instance: ClassVar[ParamSerializer]

    @classmethod
    def validated(cls, data: Any) -> dict[str, Any]:
        """The values (keyed by source) of `data`, a QueryDict or a parsed body; else the
        first bad parameter's BadParameter. What DRF's `cls(data=...).is_valid()` gives, on
        one instance per class bound once (`bound`): a new instance would deep-copy every
        declared field again, per request."""
        try:
            return cls.bound().run_validation(data)
        except serializers.ValidationError:
            # A DRF field's own error (not one of ours): DRF's path words and raises it.
            serializer = cls(data=data)
            serializer.is_valid(raise_exception=True)
            raise

    @classmethod
    def bound(cls) -> ParamSerializer:
        """This class's instance with its fields bound, made once. It keeps no state of a
        request (validation reads `_steps` and returns the values), so threads share it."""
        instance = cls.__dict__.get("_bound_instance")
        if instance is None:
            instance = cls()
            instance._steps = [
                (
                    field,
                    getattr(instance, f"check_{field.field_name}", None),
                    cast(str, field.source),  # sources here are plain names
                )
                for field in instance._writable_fields
            ]
            cls._bound_instance = instance
        return cast(ParamSerializer, instance)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {_unescaped(name): field for name, field in fields.items()}

    def run_validation(self, data: Any = empty) -> dict[str, Any]:
        # No empty/null handling nor validators of DRF's: the fields and checks say it all.
        return self.validate(self.to_internal_value(data))

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        steps = self.__dict__.get("_steps")
        if steps is None:  # an instance of its own (DRF's path, the schema)
            steps = [
                (f, getattr(self, f"check_{f.field_name}", None), cast(str, f.source))
                for f in self._writable_fields
            ]
        for field, check, source in steps:
            value = field.run_validation(field.get_value(data))
            if check is not None:
                value = check(value, values)
            values[source] = value
        return values


class JsonBodyParams(ParamSerializer):
    """A JSON object body. Its scalars are read as their text, as query parameters are, so
    `"lon": 5.9` and `"lon": "5.9"` say the same and messages quote both alike; a scalar
    parameter holding an object or a list is absent. List fields see the body itself."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise BadParameter("the body must be a JSON object", param="body")
        scalars = {k: str(v) for k, v in data.items() if isinstance(v, str | int | float)}
        return super().to_internal_value(_BodyView(data, scalars))


class _BodyView(dict[str, str]):
    """The body's scalars as text (what scalar fields read), the body itself beside them."""

    def __init__(self, body: dict[str, Any], scalars: dict[str, str]) -> None:
        super().__init__(scalars)
        self.body = body


class BodyListParam(ParamField, serializers.ListField):
    """A non-empty JSON list of strings in a JSON body; anything else answers `message`."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        self.message = message
        super().__init__(min_length=1, **kwargs)

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        return super().get_value(getattr(dictionary, "body", dictionary))

    def required_message(self) -> str:
        return self.message

    def parse(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise BadParameter(self.message, param=self.param)
        return value


class PointParams(ParamSerializer):
    """lon, lat: a point in WGS84 decimal degrees."""

    lon = FloatParam(lo=-180, hi=180, help_text="WGS84 longitude, decimal degrees")
    lat = FloatParam(lo=-90, hi=90, help_text="WGS84 latitude, decimal degrees")


def _unescaped(name: str) -> str:
    bare = name.removesuffix("_")
    return bare if bare != name and keyword.iskeyword(bare) else name
