"""The stored form of a configuration: versioned JSON, migrated on read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import RecordFormatError
from .ids import new_id

__all__ = ["CONFIG_SCHEMA_VERSION", "ConfigRecord", "new_config_id"]

#: The schema version written by this release. Bump it with a migration below.
CONFIG_SCHEMA_VERSION = 1

#: ``version -> function`` turning a record dict of that version into the next one.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def new_config_id() -> str:
    return new_id("cfg")


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
    conditions: dict[str, Any] = Field(default_factory=lambda: {"mode": "always"})
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump())

    @classmethod
    def from_json(cls, record_id: str, raw: bytes | str) -> ConfigRecord:
        """Parse (and migrate) a stored record; ``RecordFormatError`` names the id and the fault."""
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
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RecordFormatError(record_id, f"{where}: {first['msg']}") from None
