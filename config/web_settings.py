"""The web app's settings: its tokens, its sign-in sessions, and what one tenant may ask of
it (docs/tenants.md). ``Settings`` inherits them, so there is still one settings object,
read from the environment once; this only keeps ``settings.py`` to a readable length."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

__all__ = ["WebSettings"]


class WebSettings(BaseSettings):
    """The web app's part of ``Settings`` (never made on its own: ``Settings`` is)."""

    admin_token: SecretStr | None = Field(
        default=None,
        description="The API's global admin token: everything, every tenant. Unset: only "
        "stored tokens (`switchboard tokens`) authenticate. `switchboard dev` keeps one in "
        "its data folder.",
    )
    ingest_token: SecretStr | None = Field(
        default=None,
        description="The API's global ingest token: emitting events only, for any tenant. "
        "`switchboard dev` keeps one in its data folder.",
    )

    ui_session_ttl: float = Field(
        default=8 * 3600,
        gt=0,
        description="Seconds an admin UI sign-in lasts (then it asks for the token again).",
    )

    # -- what one tenant may use (docs/tenants.md) ----------------------------------
    tenant_event_rate: float = Field(
        default=100.0,
        ge=0,
        description="Events a second one tenant may emit through `POST /api/events` (and "
        "`/batch`), over every web process; 0: no limit.",
    )
    tenant_event_burst: int = Field(
        default=1000,
        ge=1,
        description="Events one tenant may emit at once above its rate (the largest batch).",
    )
    tenant_api_rate: float = Field(
        default=20.0,
        ge=0,
        description="Admin API requests a second a tenant's tokens may make together; 0: no "
        "limit. The global admin token is not limited.",
    )
    tenant_api_burst: int = Field(
        default=100,
        ge=1,
        description="Admin API requests a tenant's tokens may make at once above that rate.",
    )
    tenant_max_configs: int = Field(
        default=1000,
        ge=0,
        description="Configurations one tenant may have (every worker keeps them all in "
        "memory); 0: no limit. Configurations with no tenant are not counted.",
    )
