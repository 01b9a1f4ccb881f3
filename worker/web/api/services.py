"""The operator services the API adapts, one set per app (opened in a ``cleanup_ctx``
after the app's Redis client): the installed integrations, ``ConfigAdmin``,
``DeliveryAdmin``, the ``EventClient`` ingest emits through, and the tenants' quotas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from switchboard.config import ConfigStore, RedisKeys
from switchboard.integrations import ConfigAdmin, IntegrationManager

from ...delivery import DeliveryAdmin
from ...producer import EventClient
from ..state import REDIS, SETTINGS
from .quotas import QuotaGate, TenantQuotas

__all__ = ["SERVICES", "Services", "open_services"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    manager: IntegrationManager
    configs: ConfigAdmin
    deliveries: DeliveryAdmin
    events: EventClient
    quotas: QuotaGate


SERVICES: Final = web.AppKey("api_services", Services)


async def open_services(app: web.Application) -> AsyncIterator[None]:
    settings, redis = app[SETTINGS], app[REDIS]
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    async with EventClient(settings) as events:
        app[SERVICES] = Services(
            manager=manager,
            configs=ConfigAdmin.for_settings(
                manager, ConfigStore.for_settings(redis, settings), settings
            ),
            deliveries=DeliveryAdmin.for_settings(redis, settings),
            events=events,
            quotas=QuotaGate(
                redis, RedisKeys(settings.key_prefix), TenantQuotas.from_settings(settings)
            ),
        )
        yield
