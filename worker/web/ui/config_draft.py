"""What the configuration form holds between the page and ``ConfigAdmin``: its fields in
``ConfigForm.layout()`` order (``FormLayout``), the text each shows (from a record, the
defaults, or as posted), what a submission asks to change (``Submission``), and the
errors put next to the fields they name.

The record's own fields (``name``, ``enabled``, ``tenant``, ``rate_limit``) post under
their names, the integration's settings as ``setting.<name>``; a secret's "remove it"
checkbox posts ``unset=<name>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from multidict import MultiMapping

from switchboard.config import ConfigRecord
from switchboard.integrations import ConfigForm, Integration

from ...display import MASK, masked_settings, unmasked_url
from .form_fields import FieldSpec, Widget, field_spec, parse_text, shown_text

__all__ = ["FormLayout", "Submission", "Values", "is_setting", "key"]

#: What a field shows: its text, or a checkbox's state.
Values = dict[str, str | bool]

SETTING: Final = "setting."
#: The record's own fields: given to ``ConfigAdmin`` by name, not among the settings.
RECORD_FIELDS: Final = frozenset({"name", "enabled", "tenant", "rate_limit"})
TENANT: Final = FieldSpec(
    name="tenant",
    label="Tenant",
    hint="Whose configuration this is: it gets that tenant's events only. Blank: no tenant.",
    widget=Widget.TEXT,
)
RATE_LIMIT: Final = FieldSpec(
    name="rate_limit",
    label="Rate limit",
    hint="Deliveries a second at most, shared by every worker. Blank: the integration's "
    "own limit, if it has one.",
    widget=Widget.NUMBER,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FormLayout:
    """The form's fields, fieldset by fieldset: basic info (with the tenant, for an admin,
    and the rate limit), then the integration's (none for an orphan: no form to check)."""

    fieldsets: tuple[tuple[str | None, str | None, tuple[FieldSpec, ...]], ...]

    @classmethod
    def of(cls, integration: Integration | None, *, with_tenant: bool) -> FormLayout:
        form_cls = ConfigForm if integration is None else integration.config_form_cls
        defaults = {} if integration is None else integration.default_settings
        fieldsets = []
        for n, fieldset in enumerate(form_cls.layout()):
            specs = [field_spec(form_cls, name, defaults) for name in fieldset.fields]
            if n == 0:
                specs += [TENANT, RATE_LIMIT] if with_tenant else [RATE_LIMIT]
            fieldsets.append((fieldset.title, fieldset.description, tuple(specs)))
        return cls(fieldsets=tuple(fieldsets))

    @property
    def specs(self) -> list[FieldSpec]:
        return [spec for _, _, specs in self.fieldsets for spec in specs]

    @property
    def settings(self) -> list[FieldSpec]:
        return [spec for spec in self.specs if is_setting(spec)]

    def initial(self, record: ConfigRecord | None, secret: frozenset[str]) -> Values:
        """What the fields show before anything is typed: ``record``'s values (a URL's
        credentials masked), or the defaults for a new configuration."""
        values: Values = {}
        shown = masked_settings(record.settings, secret) if record is not None else {}
        for spec in self.specs:
            if spec.secret:
                values[key(spec)] = ""
            elif record is not None and not is_setting(spec):
                values[key(spec)] = _record_value(record, spec)
            elif record is not None and spec.name in record.settings:
                stored = record.settings[spec.name]
                checkbox = spec.widget is Widget.CHECKBOX
                values[key(spec)] = (
                    bool(stored) if checkbox else shown_text(spec.widget, shown[spec.name])
                )
            else:
                values[key(spec)] = spec.default_checked if spec.widget is Widget.CHECKBOX else ""
        return values

    def posted(self, form: MultiMapping[Any]) -> Values:
        values: Values = {}
        for spec in self.specs:
            if spec.widget is Widget.CHECKBOX:
                values[key(spec)] = key(spec) in form
            elif not spec.secret:  # a secret typed is never shown again
                values[key(spec)] = str(form.get(key(spec), ""))
        return values


def is_setting(spec: FieldSpec) -> bool:
    return spec.name not in RECORD_FIELDS


def key(spec: FieldSpec) -> str:
    """The field's name in the posted form."""
    return SETTING + spec.name if is_setting(spec) else spec.name


def _record_value(record: ConfigRecord, spec: FieldSpec) -> str | bool:
    if spec.name == "enabled":
        return record.enabled
    value = getattr(record, spec.name)
    return "" if value is None else shown_text(Widget.TEXT, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """What a posted form asks ``ConfigAdmin`` for, and what could not even be read."""

    name: str
    enabled: bool
    tenant: str | None
    rate_limit: float | None
    #: Settings whose text changed, as their fields take them.
    settings: dict[str, Any]
    #: Stored settings to remove (left blank, or a secret's "remove it" ticked).
    unset: list[str]
    #: Fields whose text this form cannot mean (before any validation of the values).
    errors: dict[str, str]
    #: Secrets that were typed: they are not shown again, so the page asks for them again.
    typed_secrets: frozenset[str]

    @classmethod
    def read(
        cls,
        layout: FormLayout,
        form: MultiMapping[Any],
        initial: Values,
        stored: Mapping[str, Any],
    ) -> Submission:
        """``form`` against what the fields showed (``initial``): a setting left as shown
        keeps what it has (``stored``), left blank is removed, changed is sent."""
        posted = layout.posted(form)
        errors: dict[str, str] = {}
        settings: dict[str, Any] = {}
        unset: list[str] = []
        removed = {str(v) for v in form.getall("unset", ())}
        typed = set()
        for spec in layout.settings:
            if spec.secret:
                text = str(form.get(key(spec), ""))
                if text.strip():
                    typed.add(spec.name)
                    _parse_into(settings, errors, spec, text)
                elif spec.removable and spec.name in removed and spec.name in stored:
                    unset.append(spec.name)
                continue
            now, before = posted[key(spec)], initial[key(spec)]
            if isinstance(now, bool):
                if now != before:
                    settings[spec.name] = now
            elif _same_text(now, before):
                continue
            elif not now.strip():
                if spec.name in stored:
                    unset.append(spec.name)
            elif MASK in now:  # a URL edited around its masked parts: those are kept
                _unmask_into(settings, errors, spec, now.strip(), stored.get(spec.name))
            else:
                _parse_into(settings, errors, spec, now)
        tenant = str(form.get("tenant", "")).strip()
        return cls(
            name=str(form.get("name", "")),
            enabled="enabled" in form,
            tenant=tenant or None,
            rate_limit=_rate_limit(str(form.get("rate_limit", "")), errors),
            settings=settings,
            unset=unset,
            errors=errors,
            typed_secrets=frozenset(typed),
        )


def _unmask_into(
    settings: dict[str, Any], errors: dict[str, str], spec: FieldSpec, text: str, kept: Any
) -> None:
    whole = unmasked_url(text, kept) if isinstance(kept, str) else None
    if whole is None:
        errors[spec.name] = f"type it whole: its masked parts ({MASK}) cannot be kept here"
    else:
        _parse_into(settings, errors, spec, whole)


def _parse_into(
    settings: dict[str, Any], errors: dict[str, str], spec: FieldSpec, text: str
) -> None:
    try:
        settings[spec.name] = parse_text(spec.widget, text)
    except ValueError as exc:
        errors[spec.name] = str(exc)


def _same_text(a: str | bool, b: str | bool) -> bool:
    def plain(text: str | bool) -> str:
        return str(text).replace("\r\n", "\n").strip()

    return plain(a) == plain(b)


def _rate_limit(text: str, errors: dict[str, str]) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors["rate_limit"] = "must be a number of deliveries per second"
        return None
    return value
