"""Match conditions of a configuration, in the shape of Djblets' condition sets.

::

    {"mode": "all", "conditions": [
        {"choice": "review.author", "op": "is", "value": "alice"},
        {"choice": "review.files", "op": "contains", "value": "setup.py"}]}

``choice`` is a dotted path into the event's data (a segment of digits
indexes a list). Every condition is checked and compiled when it is saved:
an unknown operator, a value of the wrong type or a regex that does not
compile is refused then, never at dispatch. Matching a compiled condition
does no parsing and no allocation beyond the path walk.

A path that is missing from the event's data has no value: ``none`` and the
negative operators (``is-not``, ``not-one-of``, ``does-not-contain``,
``does-not-match-regex``) hold for it, every other operator does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, Self, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from switchboard.config.errors import ConfigValidationError

__all__ = ["Condition", "ConditionSet", "Operator"]

Operator = Literal[
    "is",
    "is-not",
    "one-of",
    "not-one-of",
    "contains",
    "does-not-contain",
    "starts-with",
    "ends-with",
    "matches-regex",
    "does-not-match-regex",
    "greater-than",
    "less-than",
    "any",
    "none",
]
OPERATORS: Final = frozenset(get_args(Operator))

_MISSING: Final = object()
Test = Callable[[Any], bool]


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, though Python says it is."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _has_value(value: Any) -> bool:
    return value is not _MISSING and value is not None and value not in ("", [], {})


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, str):
        return isinstance(needle, str) and needle in haystack
    if isinstance(haystack, list):
        return any(_same(item, needle) for item in haystack)
    if isinstance(haystack, dict):
        return isinstance(needle, str) and needle in haystack
    return False


def _positive_test(op: str, value: Any, shown: str) -> Test:
    """The test for ``op`` (a positive operator), after checking ``value`` fits it.

    ``shown`` is the operator as written (``is-not`` for ``is``), for messages.
    """
    match op:
        case "is":
            if isinstance(value, list | dict):
                raise ValueError(f"'{shown}' compares with a single value, not a list or object")
            return lambda v: v is not _MISSING and _same(v, value)
        case "one-of":
            if not isinstance(value, list) or not value:
                raise ValueError(f"'{shown}' needs a non-empty list of values")
            return lambda v: v is not _MISSING and any(_same(v, item) for item in value)
        case "contains":
            if isinstance(value, list | dict) or value is None:
                raise ValueError(f"'{shown}' needs a single value to look for")
            return lambda v: _contains(v, value)
        case "starts-with" | "ends-with":
            if not isinstance(value, str) or not value:
                raise ValueError(f"'{shown}' needs a non-empty string")
            if op == "starts-with":
                return lambda v: isinstance(v, str) and v.startswith(value)
            return lambda v: isinstance(v, str) and v.endswith(value)
        case "matches-regex":
            if not isinstance(value, str):
                raise ValueError(f"'{shown}' needs a regular expression as a string")
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise ValueError(f"the regex {value!r} does not compile: {exc}") from None
            return lambda v: isinstance(v, str) and pattern.search(v) is not None
        case "greater-than" | "less-than":
            if not _is_number(value):
                raise ValueError(f"'{shown}' needs a number, not {value!r}")
            if op == "greater-than":
                return lambda v: _is_number(v) and v > value
            return lambda v: _is_number(v) and v < value
        case "any":
            if value is not None:
                raise ValueError(f"'{shown}' takes no value")
            return _has_value
    raise ValueError(f"unknown operator {shown!r}")


_NEGATIONS: Final = {
    "is-not": "is",
    "not-one-of": "one-of",
    "does-not-contain": "contains",
    "does-not-match-regex": "matches-regex",
    "none": "any",
}


def compile_test(op: str, value: Any) -> Test:
    positive = _NEGATIONS.get(op)
    if positive is None:
        return _positive_test(op, value, op)
    test = _positive_test(positive, value, op)
    return lambda v: not test(v)


class Condition(BaseModel):
    """One test of one value in the event's data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    choice: str = Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=500)
    op: Operator
    # validate_default: an omitted value is checked too ("one-of" needs a list;
    # "is" without a value compares with null).
    value: Any = Field(default=None, validate_default=True)

    _path: tuple[str, ...] = PrivateAttr()
    _test: Test = PrivateAttr()

    @field_validator("value")
    @classmethod
    def _fits_operator(cls, value: Any, info: ValidationInfo) -> Any:
        op = info.data.get("op")
        if op is not None:  # an unknown op is reported on "op" already
            compile_test(op, value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._path = tuple(self.choice.split("."))
        self._test = compile_test(self.op, self.value)

    def lookup(self, data: Mapping[str, Any]) -> Any:
        current: Any = data
        for segment in self._path:
            if isinstance(current, dict):
                current = current.get(segment, _MISSING)
            elif isinstance(current, list) and segment.isdigit():
                index = int(segment)
                current = current[index] if index < len(current) else _MISSING
            else:
                return _MISSING
            if current is _MISSING:
                return _MISSING
        return current

    def matches(self, data: Mapping[str, Any]) -> bool:
        return self._test(self.lookup(data))


class ConditionSet(BaseModel):
    """``always`` (the default), or ``all`` / ``any`` of at least one condition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["always", "all", "any"] = "always"
    conditions: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _check_mode(self) -> Self:
        if self.mode == "always" and self.conditions:
            raise ValueError("mode 'always' takes no conditions; use 'all' or 'any'")
        if self.mode != "always" and not self.conditions:
            raise ValueError(f"mode '{self.mode}' needs at least one condition")
        return self

    @property
    def always(self) -> bool:
        return self.mode == "always"

    def matches(self, data: Mapping[str, Any]) -> bool:
        if self.mode == "always":
            return True
        if self.mode == "all":
            return all(condition.matches(data) for condition in self.conditions)
        return any(condition.matches(data) for condition in self.conditions)

    @classmethod
    def parse(cls, raw: Any) -> ConditionSet:
        """Validate stored or submitted condition data; ``ConfigValidationError`` per field."""
        if raw is None:
            return cls()
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigValidationError(
                {
                    ".".join(["conditions", *(str(p) for p in err["loc"])]): _plain(err)
                    for err in exc.errors()
                },
                subject="conditions",
            ) from None


def _plain(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "literal_error" and error["loc"][-1] == "op":
        return f"unknown operator {error['input']!r}; use one of: {', '.join(sorted(OPERATORS))}"
    if error["type"] == "string_pattern_mismatch" and error["loc"][-1] == "choice":
        return "must be a dotted path into the event data, like 'review.author'"
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return str(error["msg"])
