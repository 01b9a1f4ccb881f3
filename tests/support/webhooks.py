"""Creating ``switchboard.webhook`` configurations the validated way, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchboard.config import (
    ConfigCache,
    ConfigRecord,
    ConfigStore,
    Redis,
    RedisKeys,
    Settings,
    utc_now,
)
from switchboard.integrations import ConfigAdmin, Deliverer, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing.waiting import wait_for
from switchboard.worker.delivery import Attempter, DeliveryEngine, DeliveryLog


async def add_webhook(store: ConfigStore, name: str, url: str, **options: Any) -> ConfigRecord:
    """A webhook configuration for ``url``; ``options``: tenant, enabled, conditions, settings."""
    manager = IntegrationManager()
    manager.register(WebhookIntegration)
    settings = {"url": url, **options.pop("settings", {})}
    return await ConfigAdmin(manager, store).create(
        "switchboard.webhook", name=name, settings=settings, **options
    )


@dataclass
class WebhookRig:
    """A manager following the store, with an open deliverer: the webhook's handler runs as live."""

    manager: IntegrationManager
    admin: ConfigAdmin
    store: ConfigStore
    cache: ConfigCache

    @property
    def webhook(self) -> WebhookIntegration:
        integration = self.manager.get_integration("switchboard.webhook")
        assert isinstance(integration, WebhookIntegration)
        return integration

    async def create(self, **kwargs: Any) -> str:
        """Create a webhook configuration and wait until this process's cache has it."""
        record = await self.admin.create("switchboard.webhook", **kwargs)
        await self.caught_up()
        return record.id

    async def caught_up(self) -> None:
        generation = (await self.store.changes_since(-1)).generation
        await wait_for(lambda: self.cache.generation >= generation, what="the cache to catch up")


@asynccontextmanager
async def webhook_rig(
    settings: Settings,
    store: ConfigStore,
    redis: Redis,
    *,
    admin_clock: Callable[[], datetime] = utc_now,
    engine: bool = False,
) -> AsyncIterator[WebhookRig]:
    """``engine``: deliver through a ``DeliveryEngine`` (records, retries) rather than a bare
    ``Attempter`` (one attempt each, recorded nowhere)."""
    manager = IntegrationManager()
    manager.register(WebhookIntegration)
    async with (
        ConfigCache(store, redis, poll_interval=settings.config_poll_interval) as cache,
        Attempter.for_settings(settings) as attempter,
    ):
        deliverer: Deliverer = attempter
        if engine:
            log = DeliveryLog(redis, RedisKeys(settings.key_prefix), retention=3600)
            deliverer = DeliveryEngine(
                settings, attempter=attempter, log=log, manager=manager, store=store, redis=redis
            )
        with manager.running(cache, deliverer=deliverer):
            yield WebhookRig(manager, ConfigAdmin(manager, store, clock=admin_clock), store, cache)
