"""The stored form of a configuration: versioned JSON, migrated on read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InvalidArgumentError, RecordFormatError, SecretKeyError
from .field_errors import errors_text, field_errors
from .ids import new_id, shown_id
from .secrets import SecretBox, is_encrypted

__all__ = [
    "CONFIG_SCHEMA_VERSION",
    "TENANT_RULE",
    "ConfigRecord",
    "checked_tenant",
    "new_config_id",
]

#: The schema version written by this release. Bump it with a migration below.
CONFIG_SCHEMA_VERSION = 2

#: ``version -> function`` turning a record dict of that version into the next one.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # 2 lists the settings that are secret (stored encrypted); 1 had none listed.
    1: lambda data: {**data, "schema_version": 2, "secret_settings": []},
}


#: What a tenant's name must be, in the words an error says it (configurations and
#: API tokens keep the same rule: a token's tenant is compared with a record's).
TENANT_RULE = "must be 1 to 200 characters, or no tenant"
_TENANT_MAX_CHARS = 200


def new_config_id() -> str:
    return new_id("cfg")


def checked_tenant(tenant: str | None) -> str | None:
    """``tenant`` without surrounding white space, as it is stored; ``InvalidArgumentError``
    (quoting it) when that leaves nothing or more than 200 characters."""
    if tenant is None:
        return None
    stripped = tenant.strip()
    if not stripped or len(stripped) > _TENANT_MAX_CHARS:
        raise InvalidArgumentError(f'tenant "{shown_id(tenant)}": {TENANT_RULE}')
    return stripped


class ConfigRecord(BaseModel):
    """One operator's configuration of one integration, as stored in Redis.

    ``settings`` and ``conditions`` are plain JSON here; the integrations layer
    validates them (through the integration's config form and the conditions
    model) before anything is written.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = CONFIG_SCHEMA_VERSION
    id: str = Field(min_length=1)
    integration_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    enabled: bool = True
    tenant: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    #: Which settings are secret: encrypted at rest, masked when shown.
    secret_settings: tuple[str, ...] = ()
    conditions: dict[str, Any] = Field(default_factory=lambda: {"mode": "always"})
    #: Deliveries per second at most, shared by every worker; ``None``: no limit.
    rate_limit: float | None = Field(default=None, gt=0)
    #: Why Switchboard disabled it (its endpoint answered 410 Gone, it failed for days);
    #: kept only while it stays disabled. Stored only when set, so that a release before
    #: it still reads every record but the ones it disabled.
    disabled_reason: str | None = None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _reason_only_while_disabled(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("enabled", True) and data.get("disabled_reason"):
            return {**data, "disabled_reason": None}
        return data

    def to_json(self, secrets: SecretBox | None = None) -> bytes:
        """The stored form: secret settings encrypted with ``secrets``.

        ``SecretKeyError`` when there is a secret value to store and no key.
        """
        unset = {"disabled_reason"} if self.disabled_reason is None else None
        data = self.model_dump(exclude=unset)
        sealed = [key for key in self.secret_settings if self.settings.get(key) is not None]
        if sealed:
            if secrets is None:
                raise SecretKeyError(
                    f'Configuration "{self.id}" has secret settings ({", ".join(sealed)}) and '
                    "SWITCHBOARD_SECRET_KEY is not set, so they cannot be stored encrypted."
                )
            settings = data["settings"]
            for key in sealed:
                settings[key] = secrets.encrypt(settings[key])
        return orjson.dumps(data)

    @classmethod
    def from_json(
        cls, record_id: str, raw: bytes | str, secrets: SecretBox | None = None
    ) -> ConfigRecord:
        """Parse (and migrate) a stored record, decrypting its secrets with ``secrets``.

        ``RecordFormatError`` names the id and the fault (including a missing
        or wrong key: the record is then unusable here, not dropped).
        """
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise RecordFormatError(record_id, f"not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise RecordFormatError(record_id, "not a JSON object")
        version = data.get("schema_version")
        if not isinstance(version, int) or version < 1:
            raise RecordFormatError(record_id, f"missing or bad schema_version {version!r}")
        if version > CONFIG_SCHEMA_VERSION:
            raise RecordFormatError(
                record_id,
                f"schema_version {version} is newer than this Switchboard understands "
                f"({CONFIG_SCHEMA_VERSION}); upgrade Switchboard",
            )
        while version < CONFIG_SCHEMA_VERSION:
            data = _MIGRATIONS[version](data)
            version = data["schema_version"]
        if data.get("secret_settings"):
            _open_secrets(record_id, data, secrets)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise RecordFormatError(record_id, errors_text(field_errors(exc)[:1])) from None


def _open_secrets(record_id: str, data: dict[str, Any], secrets: SecretBox | None) -> None:
    settings = data.get("settings")
    if not isinstance(settings, dict):
        return  # model validation reports it
    for key in data["secret_settings"]:
        value = settings.get(key)
        if not is_encrypted(value):
            continue  # stored before encryption: plain until `switchboard secrets rotate`
        if secrets is None:
            raise RecordFormatError(
                record_id, "its secrets are encrypted and SWITCHBOARD_SECRET_KEY is not set"
            )
        try:
            settings[key] = secrets.decrypt(value)
        except SecretKeyError as exc:
            raise RecordFormatError(record_id, str(exc)) from None
