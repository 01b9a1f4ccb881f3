"""The operator services the API adapts, one set per app (opened in a ``cleanup_ctx``
after the app's Redis client): the installed integrations, ``ConfigAdmin``,
``DeliveryAdmin`` and the ``EventClient`` ingest emits through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from switchboard.config import ConfigStore
from switchboard.integrations import ConfigAdmin, IntegrationManager

from ...delivery import DeliveryAdmin
from ...producer import EventClient
from ..state import REDIS, SETTINGS

__all__ = ["SERVICES", "Services", "open_services"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    manager: IntegrationManager
    configs: ConfigAdmin
    deliveries: DeliveryAdmin
    events: EventClient


SERVICES: Final = web.AppKey("api_services", Services)


async def open_services(app: web.Application) -> AsyncIterator[None]:
    settings, redis = app[SETTINGS], app[REDIS]
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    async with EventClient(settings) as events:
        app[SERVICES] = Services(
            manager=manager,
            configs=ConfigAdmin(manager, ConfigStore.for_settings(redis, settings)),
            deliveries=DeliveryAdmin.for_settings(redis, settings),
            events=events,
        )
        yield
