"""Match conditions of a configuration, in the shape of Djblets' condition sets.

::

    {"mode": "all", "conditions": [
        {"choice": "review.author", "op": "is", "value": "alice"},
        {"choice": "review.files", "op": "contains", "value": "setup.py"}]}

``choice`` is a dotted path into the event's data (a segment of digits
indexes a list). Every condition is checked and compiled when it is saved:
an unknown operator, a value of the wrong type or a regex that does not
compile is refused then, never at dispatch. Matching a compiled condition
parses nothing, and allocates only a regex's bytes to search.

A path that is missing from the event's data has no value: ``none`` and the
negative operators (``is-not``, ``not-one-of``, ``does-not-contain``,
``does-not-match-regex``) hold for it, every other operator does not.

Conditions run on the worker's event loop, for every event of their tenant,
who writes both conditions and events; so what a set costs is bounded:

* regexes are RE2's, linear in the text (``patterns.py``): each at most
  ``MAX_PATTERN_LENGTH`` (500) characters, searching the first
  ``MAX_SEARCHED_BYTES`` (4 KiB) of a string; a set's ``MAX_PROGRAM_SIZE``
  (1,000) RE2 instructions together, ``MAX_MEMORY`` (256 KiB) each;
* at most ``MAX_CONDITIONS`` (20) conditions in a set, ``MAX_ONE_OF_VALUES``
  (100) single values in a ``one-of``; ``contains`` scans lists in C; a path
  has at most 250 segments (``choice`` is at most 500 characters).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from enum import StrEnum
from itertools import repeat
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
from pydantic_core import ErrorDetails

from switchboard.config.field_errors import field_errors, plain_reason

from .errors import ConfigValidationError
from .patterns import MAX_PROGRAM_SIZE, Regex, compile_regex

__all__ = ["Condition", "ConditionMode", "ConditionSet", "Operator"]

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
REGEX_OPERATORS: Final = frozenset({"matches-regex", "does-not-match-regex"})

#: Conditions in a set. Djblets' sets hold a handful; at most each one reads
#: its value end to end once per event (``contains``), so 20 such reads.
MAX_CONDITIONS: Final = 20
#: Values of a ``one-of``, compared in turn: some authors or branches, not a table.
MAX_ONE_OF_VALUES: Final = 100

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
    if isinstance(haystack, str | dict):  # a substring, or a key
        return isinstance(needle, str) and needle in haystack
    if not isinstance(haystack, list):
        return False
    # any(_same(item, needle) for item in haystack), in loops that run in C: a
    # list as long as an event can hold takes a millisecond, not ten.
    if isinstance(needle, str):
        return needle in haystack  # a string equals nothing but a string
    if isinstance(needle, bool):
        return any(map(operator.is_, haystack, repeat(needle)))
    found = haystack.count(needle)
    if found and (needle == 0 or needle == 1):  # count() took true for 1, false for 0
        found -= sum(map(operator.is_, haystack, repeat(needle == 1)))
    return found > 0


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
            if len(value) > MAX_ONE_OF_VALUES or any(isinstance(i, list | dict) for i in value):
                raise ValueError(f"'{shown}' takes at most {MAX_ONE_OF_VALUES} single values")
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
            regex = compile_regex(value)  # RE2, within the bounds of patterns.py
            return lambda v: isinstance(v, str) and regex.search(v)
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
    _regex: Regex | None = PrivateAttr()

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
        self._regex = compile_regex(self.value) if self.op in REGEX_OPERATORS else None

    @property
    def regex(self) -> Regex | None:
        """The compiled pattern of a regex operator; ``None`` for the others."""
        return self._regex

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


class ConditionMode(StrEnum):
    """How a set's conditions decide: none asked (``always``), every one, any one."""

    ALWAYS = "always"
    ALL = "all"
    ANY = "any"


class ConditionSet(BaseModel):
    """``always`` (the default), or ``all`` / ``any`` of at least one condition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: ConditionMode = ConditionMode.ALWAYS
    conditions: tuple[Condition, ...] = ()

    @field_validator("conditions", mode="before")
    @classmethod
    def _not_too_many(cls, conditions: Any) -> Any:
        # Before the conditions are validated: a million of them compile nothing.
        if isinstance(conditions, list | tuple) and len(conditions) > MAX_CONDITIONS:
            raise ValueError(f"a set holds at most {MAX_CONDITIONS} conditions")
        return conditions

    @model_validator(mode="after")
    def _check_mode(self) -> Self:
        if self.mode == "always" and self.conditions:
            raise ValueError("mode 'always' takes no conditions; use 'all' or 'any'")
        if self.mode != "always" and not self.conditions:
            raise ValueError(f"mode '{self.mode}' needs at least one condition")
        # The set is matched as a whole: its regexes share one budget.
        size = sum(c.regex.program_size for c in self.conditions if c.regex is not None)
        if size > MAX_PROGRAM_SIZE:
            raise ValueError(
                f"the regexes of these conditions are too complex together: RE2 compiles them "
                f"to {size} instructions, over the limit of {MAX_PROGRAM_SIZE} for a set"
            )
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
                dict(field_errors(exc, reason=_reason, prefix=("conditions",))),
                subject="conditions",
            ) from None


def _reason(error: ErrorDetails) -> str:
    if error["type"] == "literal_error" and error["loc"][-1] == "op":
        return f"unknown operator {error['input']!r}; use one of: {', '.join(sorted(OPERATORS))}"
    if error["type"] == "string_pattern_mismatch" and error["loc"][-1] == "choice":
        return "must be a dotted path into the event data, like 'review.author'"
    return plain_reason(error)
