"""Config forms: the settings an integration takes, as a pydantic model.

An author subclasses ``ConfigForm`` and adds fields; ``name`` and
``enabled`` come first, in a "Basic info" fieldset. ``fieldsets`` give the
order, titles and descriptions a UI shows. Validation and normalisation are
pydantic's; errors come back per field, in plain words, as
``ConfigValidationError``.

A field is secret when its type is ``SecretStr`` or when it is declared with
``secret_field()``: secrets are masked wherever a configuration is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretBytes, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from switchboard.config.field_errors import field_errors, plain_reason

from .errors import ConfigValidationError

__all__ = ["BASIC_FIELDS", "ConfigForm", "Fieldset", "secret_field"]

#: The fields every form has, first, in the basic info fieldset.
BASIC_FIELDS: tuple[str, ...] = ("name", "enabled")


@dataclass(frozen=True, slots=True)
class Fieldset:
    """A titled group of fields, in order, for a UI."""

    fields: Sequence[str]
    title: str | None = None
    description: str | None = None


def secret_field(default: Any = ..., **kwargs: Any) -> Any:
    """``Field(...)`` for a secret value that is not a ``SecretStr`` (a Slack webhook URL, say)."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra["secret"] = True
    return Field(default, json_schema_extra=extra, **kwargs)


class ConfigForm(BaseModel):
    """The base of every integration's config form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(
        title="Name",
        min_length=1,
        max_length=200,
        description="A name for this configuration, shown in lists.",
    )
    enabled: bool = Field(default=True, title="Enabled")

    fieldsets: ClassVar[Sequence[Fieldset]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        settings = set(cls.settings_fields())
        seen: set[str] = set()
        for fieldset in cls.fieldsets:
            for name in fieldset.fields:
                if name in BASIC_FIELDS:
                    raise TypeError(
                        f"{cls.__qualname__}.fieldsets: {name!r} is in the basic info fieldset "
                        "already"
                    )
                if name not in settings:
                    raise TypeError(f"{cls.__qualname__}.fieldsets: no field named {name!r}")
                if name in seen:
                    raise TypeError(f"{cls.__qualname__}.fieldsets: {name!r} appears twice")
                seen.add(name)

    @classmethod
    def settings_fields(cls) -> list[str]:
        """The author's fields, in declaration order."""
        return [name for name in cls.model_fields if name not in BASIC_FIELDS]

    @classmethod
    def layout(cls) -> list[Fieldset]:
        """Fieldsets for a UI: basic info, the author's, then any field they left out."""
        layout = [Fieldset(fields=BASIC_FIELDS, title="Basic info"), *cls.fieldsets]
        placed = {name for fieldset in cls.fieldsets for name in fieldset.fields}
        rest = [name for name in cls.settings_fields() if name not in placed]
        if rest:
            layout.append(Fieldset(fields=rest))
        return layout

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        secret = set()
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            # SecretStr, or SecretStr | None (and the like): look inside unions.
            types = {info.annotation, *get_args(info.annotation)}
            if types & {SecretStr, SecretBytes} or (
                isinstance(extra, dict) and extra.get("secret") is True
            ):
                secret.add(name)
        return frozenset(secret)

    @classmethod
    def validate_config(cls, *, name: str, enabled: bool, settings: Mapping[str, Any]) -> Self:
        """Validate a whole configuration; ``ConfigValidationError`` maps field -> reason."""
        clashing = [key for key in settings if key in BASIC_FIELDS]
        if clashing:
            raise ConfigValidationError(
                {key: f"'{key}' is not a setting; set it directly" for key in clashing}
            )
        try:
            return cls.model_validate({**settings, "name": name, "enabled": enabled})
        except ValidationError as exc:
            raise ConfigValidationError(
                dict(field_errors(exc, reason=_form_reason, whole="settings"))
            ) from None

    def settings_json(self) -> dict[str, Any]:
        """The author's fields as JSON-ready values, secrets revealed (for storing only)."""
        values: dict[str, Any] = self.model_dump(mode="json", exclude=set(BASIC_FIELDS))
        for name in self.secret_fields():
            value = getattr(self, name)
            if isinstance(value, SecretStr | SecretBytes):
                secret = value.get_secret_value()
                values[name] = secret.decode() if isinstance(secret, bytes) else secret
        return values


def _form_reason(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "not a setting of this integration"
    return plain_reason(error)
