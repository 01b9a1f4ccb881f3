"""The configuration form as its page renders it: each field with the text it shows, its
state and hints, and its error next to it; and the summary of every error at the top,
each linking to the field or the condition row it is about.

Errors are ``ConfigValidationError.errors`` as ``ConfigAdmin`` and ``ConditionSet``
give them (the CLI's words): a path inside a field (``event_types.0``) is put on the
field, naming the item (``item 1: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from switchboard.config import ConfigRecord

from ...display import masked_settings
from .conditions_form import ConditionsDraft
from .config_draft import FormLayout, Values, is_setting, key
from .form_fields import FieldSpec

__all__ = ["ErrorLink", "FieldView", "FieldsetView", "error_summary", "field_views"]

#: Errors about no field of the form: what the summary calls them, and where they show.
_ELSEWHERE: Final = {"tenant": ("Tenant", "f-tenant"), "settings": ("Settings", "form")}
#: A condition row's parts, as the summary names them.
_PARTS: Final = {"choice": "choice", "op": "operator", "value": "value"}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldView:
    """One field as the page renders it."""

    spec: FieldSpec
    key: str
    dom_id: str
    text: str
    checked: bool
    #: A secret that has a value (kept when left blank).
    is_set: bool
    #: A secret typed into a form that was refused: the page asks for it again.
    retype: bool
    #: Its text shows a stored URL with credentials masked (left as shown: kept).
    masked: bool
    error: str | None

    @property
    def described_by(self) -> str:
        """The ids of what describes the input: its hints and its error (the template
        gives them these ids)."""
        ids = [
            f"{self.dom_id}-{part}"
            for part, shown in (
                ("hint", bool(self.spec.hint)),
                ("set", self.is_set),
                ("retype", self.retype),
                ("masked", self.masked),
                ("error", self.error is not None),
            )
            if shown
        ]
        return " ".join(ids)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldsetView:
    title: str | None
    description: str | None
    fields: tuple[FieldView, ...]


def field_views(
    layout: FormLayout,
    values: Values,
    *,
    record: ConfigRecord | None,
    errors: Mapping[str, str],
    typed_secrets: Iterable[str] = (),
) -> tuple[FieldsetView, ...]:
    stored = record.settings if record is not None else {}
    shown = masked_settings(stored, frozenset())
    typed = frozenset(typed_secrets)
    by_field = field_errors(errors, {spec.name for spec in layout.specs})
    return tuple(
        FieldsetView(
            title=title,
            description=description,
            fields=tuple(
                FieldView(
                    spec=spec,
                    key=key(spec),
                    dom_id=dom_id(spec),
                    text=str(values.get(key(spec), "")) if not spec.secret else "",
                    checked=values.get(key(spec)) is True,
                    is_set=spec.secret and stored.get(spec.name) not in (None, "", {}, []),
                    retype=spec.name in typed,
                    masked=is_setting(spec)
                    and not spec.secret
                    and spec.name in stored
                    and shown[spec.name] != stored[spec.name],
                    error=by_field.get(spec.name),
                )
                for spec in specs
            ),
        )
        for title, description, specs in layout.fieldsets
    )


def dom_id(spec: FieldSpec) -> str:
    return f"f-{key(spec).replace('.', '-')}"


def field_errors(errors: Mapping[str, str], names: set[str]) -> dict[str, str]:
    """``errors`` (a field path -> reason) by the form field they are about: a path
    inside a field (``event_types.0``) names the item (``item 1: ...``)."""
    found: dict[str, list[str]] = {}
    for path, reason in errors.items():
        root, _, rest = path.partition(".")
        if root not in names:
            continue
        if rest:
            first, _, more = rest.partition(".")
            where = f"item {int(first) + 1}" if first.isdigit() else first
            reason = f"{where}{'.' + more if more else ''}: {reason}"
        found.setdefault(root, []).append(reason)
    return {name: "; ".join(reasons) for name, reasons in found.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorLink:
    """One line of the summary: what is wrong, and where on the page (``#anchor``)."""

    label: str
    reason: str
    anchor: str


def error_summary(
    errors: Mapping[str, str], layout: FormLayout, conditions: ConditionsDraft
) -> list[ErrorLink]:
    """Every error, the fields' in the form's order, then the conditions', then the rest."""
    specs = {spec.name: spec for spec in layout.specs}
    by_field = field_errors(errors, set(specs))
    links = [
        ErrorLink(label=spec.label, reason=by_field[spec.name], anchor=dom_id(spec))
        for spec in layout.specs
        if spec.name in by_field
    ]
    for n, row in enumerate(conditions.rows):
        for part, reason in row.errors.items():
            where = _PARTS.get(part)
            links.append(
                ErrorLink(
                    label=f"Condition {n + 1}",
                    reason=f"{where}: {reason}" if where else reason,
                    anchor=f"c-{n}-{part if where else 'choice'}",
                )
            )
    links += [
        ErrorLink(label="Conditions", reason=r, anchor="conditions") for r in conditions.errors
    ]
    placed = set(specs)
    for path, reason in errors.items():
        if path.partition(".")[0] not in placed and not path.startswith("conditions"):
            known = _ELSEWHERE.get(path)
            label, anchor = known if known else (path, "form")
            links.append(ErrorLink(label=label, reason=reason, anchor=anchor))
    return links
