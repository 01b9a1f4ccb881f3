"""The pydantic models of ``/api/configs`` and ``/api/integrations``: what requests send
(validated) and what answers hold (shaped), the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from switchboard.config import ConfigRecord

__all__ = [
    "ConfigCreate",
    "ConfigList",
    "ConfigOut",
    "ConfigPage",
    "ConfigPatch",
    "IntegrationOut",
    "IntegrationsOut",
    "PageQuery",
    "SigningSecrets",
]


class PageQuery(BaseModel):
    cursor: str | None = Field(
        default=None, description="Where the previous page ended (its `next_cursor`)."
    )
    limit: int = Field(default=50, ge=1, le=500, description="At most this many items.")


class ConfigList(PageQuery):
    integration_id: str | None = Field(default=None, description="Only this integration's.")
    tenant: str | None = Field(default=None, description="Only this tenant's.")
    enabled: bool | None = Field(default=None, description="Only enabled (or disabled) ones.")


class ConfigCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: str = Field(description="An installed integration (`/api/integrations`).")
    name: str = Field(description="A name for the configuration.")
    enabled: bool = True
    tenant: str | None = Field(
        default=None,
        description="The tenant it serves; `null`: events with no tenant. A tenant's token "
        "sets its own tenant.",
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The integration's settings (its form's fields)."
    )
    conditions: dict[str, Any] | None = Field(
        default=None, description='Match conditions: {"mode": "all", "conditions": [...]}.'
    )
    rate_limit: float | None = Field(default=None, description="At most this many a second.")


class ConfigPatch(BaseModel):
    """What is given changes; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    enabled: bool | None = None
    settings: dict[str, Any] | None = Field(
        default=None, description="Merged into the stored settings."
    )
    unset: list[str] = Field(default_factory=list, description="Setting keys to remove.")
    tenant: str | None = Field(default=None, description="`null`: events with no tenant.")
    conditions: dict[str, Any] | None = Field(default=None, description="Replaces them.")
    rate_limit: float | None = Field(default=None, description="`null`: no limit.")


class ConfigOut(ConfigRecord):
    """A configuration as the CLI's `configs show --json` prints it: secrets masked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    orphaned: bool = Field(description="Its integration is not installed.")
    effective_rate_limit: float | None = Field(
        description="Its own rate limit, else its integration's default; `null`: none."
    )


class ConfigPage(BaseModel):
    items: list[ConfigOut]
    next_cursor: str | None = Field(description="The `cursor` of the next page; `null`: last.")


class SigningSecrets(BaseModel):
    config_id: str
    signing_secrets: list[str] = Field(description="Current first; the previous while it overlaps.")


class IntegrationOut(BaseModel):
    id: str
    name: str
    description: str
    configs: int | None = Field(description="Its configurations; `null`: Redis unreachable.")
    enabled_configs: int | None
    enabled: bool | None = Field(description="It has an enabled configuration.")
    icon_static_urls: dict[str, str]


class IntegrationsOut(BaseModel):
    integrations: list[IntegrationOut]
    load_errors: list[str]
