"""An integration's ``ConfigForm`` fields as HTML widgets: which widget each field's type
takes, how a stored value is shown in it, and how what was typed is read back.

* text; a URL: ``type=url``; ``int``/``float``: a number; ``bool``: a checkbox;
  a ``Literal`` or an ``Enum``: a select; ``list[str]``: a textarea, one item a line;
  ``dict[str, str]``: a textarea, ``key: value`` a line; any other list, mapping or
  model: a textarea of JSON;
* a secret field (``ConfigForm.secret_fields()``) is a password input (a textarea for a
  list or a mapping) that is always rendered empty: its value never reaches a page.

Only a field whose text was changed is sent to ``ConfigAdmin``: left as shown (its
default, or the stored value with a URL's credentials masked as ``display.py`` masks
them), it keeps what it has, so a masked URL is never written back, and a setting the
operator never gave keeps following the integration's ``default_settings``.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Union, get_args, get_origin

import orjson
from pydantic import AnyUrl, BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

from switchboard.integrations import ConfigForm

from ...display import masked_settings

__all__ = ["FieldSpec", "Widget", "field_spec", "parse_text", "shown_text"]

_LISTS: Final = (list, tuple, set, frozenset)


class Widget(enum.StrEnum):
    """What a field is typed into (and so how its text is read back)."""

    TEXT = "text"
    URL = "url"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    SELECT = "select"
    LINES = "lines"
    PAIRS = "pairs"
    JSON = "json"


#: How a textarea's text is read, said after the field's description.
_NOTES: Final = {
    Widget.LINES: "One a line.",
    Widget.PAIRS: "One 'name: value' a line.",
    Widget.JSON: "As JSON.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One field of a form, as the page shows it."""

    name: str
    label: str
    hint: str
    widget: Widget
    secret: bool = False
    required: bool = False
    #: A select's values, in order.
    choices: tuple[str, ...] = ()
    #: A number's step: ``1`` for an integer, ``any`` for a float.
    step: str = "any"
    #: The default, as it would be typed (a placeholder; a checkbox's initial state).
    default_text: str = ""
    default_checked: bool = False
    #: A secret that may be removed (it is optional, and nothing is generated in its place).
    removable: bool = False

    @property
    def multiline(self) -> bool:
        return self.widget in (Widget.LINES, Widget.PAIRS, Widget.JSON)


def field_spec(
    form_cls: type[ConfigForm], name: str, defaults: Mapping[str, Any] | None = None
) -> FieldSpec:
    """The widget of ``form_cls``'s field ``name``; ``defaults``: the integration's
    ``default_settings``, which win over the field's own default."""
    info = form_cls.model_fields[name]
    kind, nullable = _unwrapped(info.annotation)
    secret = name in form_cls.secret_fields()
    has_default, default = _default(info, name, defaults or {}, secret=secret)
    widget, choices, step = _widget(kind)
    return FieldSpec(
        name=name,
        label=info.title or name.replace("_", " ").capitalize(),
        hint=" ".join(part for part in (info.description, _NOTES.get(widget)) if part),
        widget=widget,
        secret=secret,
        required=not has_default and not nullable and widget is not Widget.CHECKBOX,
        choices=choices,
        step=step,
        default_text=_default_text(widget, name, default) if has_default and not secret else "",
        default_checked=bool(default) if widget is Widget.CHECKBOX else False,
        removable=secret and (nullable or _empty_default(info)),
    )


def _default_text(widget: Widget, name: str, default: Any) -> str:
    """A default as its placeholder shows it: a URL's credentials masked, as everywhere."""
    return shown_text(widget, masked_settings({name: default}, frozenset())[name])


def _empty_default(info: FieldInfo) -> bool:
    """Whether a field left out is empty (``None``, ``{}``), not given a generated value."""
    if info.default_factory is not None:
        return info.default_factory in (dict, list, tuple, set, frozenset)
    return not info.is_required() and info.default in (None, "")


def _unwrapped(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` as ``(X, True)``; anything else as ``(it, False)``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        if len(args) == 1:
            return args[0], nullable
        return annotation, nullable
    return annotation, False


def _default(
    info: FieldInfo, name: str, defaults: Mapping[str, Any], *, secret: bool
) -> tuple[bool, Any]:
    if name in defaults:
        return True, defaults[name]
    if info.is_required():
        return False, None
    if secret:  # a generated secret's factory is never called just to show a form
        return True, None
    return True, info.get_default(call_default_factory=True, validated_data={})


def _widget(kind: Any) -> tuple[Widget, tuple[str, ...], str]:
    origin, args = get_origin(kind), get_args(kind)
    if kind is bool:
        return Widget.CHECKBOX, (), "any"
    if kind is int or kind is float:
        return Widget.NUMBER, (), "1" if kind is int else "any"
    if origin is Literal:
        return Widget.SELECT, tuple(str(a) for a in args), "any"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return Widget.SELECT, tuple(str(m.value) for m in kind), "any"
    if isinstance(kind, type) and issubclass(kind, AnyUrl):
        return Widget.URL, (), "any"
    if origin in _LISTS and args[:1] == (str,):
        return Widget.LINES, (), "any"
    if origin is dict and args == (str, str):
        return Widget.PAIRS, (), "any"
    if origin in (*_LISTS, dict) or kind in (list, dict) or _is_model(kind):
        return Widget.JSON, (), "any"
    return Widget.TEXT, (), "any"


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def shown_text(widget: Widget, value: Any) -> str:
    """``value`` as it is typed into ``widget`` (``""`` for none)."""
    if value is None or isinstance(value, SecretStr | SecretBytes):
        return ""
    if widget is Widget.LINES and isinstance(value, list | tuple | set | frozenset):
        return "\n".join(str(item) for item in value)
    if widget is Widget.PAIRS and isinstance(value, dict):
        return "\n".join(f"{key}: {item}" for key, item in value.items())
    if widget is Widget.JSON:
        return orjson.dumps(value, default=str).decode()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_text(widget: Widget, text: str) -> Any:
    """What was typed into ``widget``, as the form's field takes it (pydantic converts
    numbers and choices from their text); ``None``: left blank. ``ValueError``: text
    this widget cannot mean, in words for the page."""
    text = text.strip()
    if not text:
        return None
    if widget is Widget.LINES:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if widget is Widget.PAIRS:
        pairs: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, colon, value = line.partition(":")
            if not colon or not key.strip():
                raise ValueError(f"line {number}: write each entry as 'name: value'")
            pairs[key.strip()] = value.strip()
        return pairs
    if widget is Widget.JSON:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ValueError("is not valid JSON") from None
    return text
