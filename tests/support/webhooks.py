"""Creating ``switchboard.webhook`` configurations the validated way, for tests."""

from __future__ import annotations

from typing import Any

from switchboard.config import ConfigRecord, ConfigStore
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration


async def add_webhook(store: ConfigStore, name: str, url: str, **options: Any) -> ConfigRecord:
    """A webhook configuration for ``url``; ``options``: tenant, enabled, conditions, settings."""
    manager = IntegrationManager()
    manager.register(WebhookIntegration)
    settings = {"url": url, **options.pop("settings", {})}
    return await ConfigAdmin(manager, store).create(
        "switchboard.webhook", name=name, settings=settings, **options
    )
