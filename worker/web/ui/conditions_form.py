"""The conditions editor of the configuration form: a mode (always / all / any) and rows
of (choice, operator, value), read from what was posted and checked by
``ConditionSet.parse``, the model every write goes through.

A row's value is JSON when it is valid JSON (``42``, ``true``, ``["a", "b"]``), else the
text as typed; a blank value is no value (what ``any`` and ``none`` take). Rows left
blank are ignored. "Add a row" is a submit button (``action=add-row``): the form comes
back with what was typed and one more empty row, saving nothing, with JavaScript off.
Errors come back per row and part (``conditions.conditions.0.value``): each is shown
next to the row it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, get_args

import orjson
from multidict import MultiMapping

from switchboard.integrations import ConditionSet, ConfigValidationError
from switchboard.integrations.conditions import MAX_CONDITIONS, ConditionMode, Operator

__all__ = ["MODES", "OPERATORS", "ConditionRow", "ConditionsDraft"]

#: Every operator, in the order the model declares them (the select's options).
OPERATORS: Final = tuple(get_args(Operator))
#: Where the form's fields and the errors ``ConditionSet.parse`` gives start.
_PREFIX: Final = "conditions."


#: The editor's words for each mode, in the model's order (the radio buttons).
MODES: Final = (
    (ConditionMode.ALWAYS, "Always: every event"),
    (ConditionMode.ALL, "When all the rows match"),
    (ConditionMode.ANY, "When any row matches"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionRow:
    """One row as typed: the value is its text."""

    choice: str = ""
    op: str = OPERATORS[0]
    value: str = ""
    #: What is wrong with each part (``choice``, ``op``, ``value``, or ``row``).
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not self.choice.strip() and not self.value.strip()

    def condition(self) -> dict[str, Any]:
        data: dict[str, Any] = {"choice": self.choice.strip(), "op": self.op}
        if self.value.strip():
            data["value"] = _value(self.value)
        return data


def _value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text.strip()


def _text(value: Any) -> str:
    """A stored value as it is typed back: text as it is, unless it would read as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionsDraft:
    """The editor's state: its mode, its rows as typed, and errors not about one row."""

    mode: str = ConditionMode.ALWAYS
    rows: tuple[ConditionRow, ...] = ()
    errors: tuple[str, ...] = ()

    @classmethod
    def of_stored(cls, conditions: Mapping[str, Any] | None) -> ConditionsDraft:
        """A stored condition set's rows, and one empty row to add another."""
        stored = conditions or {}
        rows = tuple(
            ConditionRow(
                choice=str(c.get("choice", "")),
                op=str(c.get("op", OPERATORS[0])),
                value=_text(c.get("value")),
            )
            for c in stored.get("conditions", ())
        )
        return cls(mode=str(stored.get("mode", ConditionMode.ALWAYS)), rows=(*rows, ConditionRow()))

    @classmethod
    def posted(cls, form: MultiMapping[Any]) -> ConditionsDraft:
        """The editor as it was posted: ``conditions.mode`` and, in order, each row's
        ``conditions.choice``, ``conditions.op`` and ``conditions.value``."""
        parts = [
            [str(v) for v in form.getall(_PREFIX + name, ())] for name in ("choice", "op", "value")
        ]
        count = max(len(p) for p in parts)
        rows = tuple(
            ConditionRow(
                choice=_nth(parts[0], n, ""),
                op=_nth(parts[1], n, OPERATORS[0]),
                value=_nth(parts[2], n, ""),
            )
            for n in range(count)
        )
        return cls(mode=str(form.get(_PREFIX + "mode", ConditionMode.ALWAYS)), rows=rows)

    @property
    def can_add_row(self) -> bool:
        return len(self.rows) < MAX_CONDITIONS

    def with_row(self) -> ConditionsDraft:
        """One more empty row (up to the most conditions a set holds)."""
        return replace(self, rows=(*self.rows, ConditionRow())) if self.can_add_row else self

    def submitted(self) -> dict[str, Any]:
        """The condition set the rows that are not blank make, as ``ConditionSet`` reads it."""
        conditions = [row.condition() for row in self.rows if not row.blank]
        if self.mode == ConditionMode.ALWAYS and not conditions:
            return {"mode": ConditionMode.ALWAYS.value}
        return {"mode": self.mode, "conditions": conditions}

    def checked(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The submitted set, and ``ConditionSet.parse``'s errors (none: it validates)."""
        submitted = self.submitted()
        try:
            ConditionSet.parse(submitted)
        except ConfigValidationError as exc:
            return submitted, exc.errors
        return submitted, {}

    def with_errors(self, errors: Mapping[str, str]) -> ConditionsDraft:
        """Each of ``errors`` (field -> reason, as ``ConditionSet.parse`` names fields) put
        next to the row it names; those about the whole set kept for the top of the editor."""
        kept = [n for n, row in enumerate(self.rows) if not row.blank]  # the set's index -> row
        per_row: dict[int, dict[str, str]] = {}
        general: list[str] = []
        for name, reason in errors.items():
            if not (name == "conditions" or name.startswith(_PREFIX)):
                continue
            path = name.removeprefix("conditions").lstrip(".").split(".")
            if path[:1] == ["conditions"] and len(path) > 1 and path[1].isdigit():
                index = int(path[1])
                if index < len(kept):
                    part = path[2] if len(path) > 2 else "row"
                    per_row.setdefault(kept[index], {})[part] = reason
                    continue
            general.append(reason)
        rows = tuple(replace(row, errors=per_row.get(n, {})) for n, row in enumerate(self.rows))
        return replace(self, rows=rows, errors=tuple(general))


def _nth(values: Sequence[str], n: int, default: str) -> str:
    return values[n] if n < len(values) else default
