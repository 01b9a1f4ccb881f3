"""Deliveries for the admin UI's tests: records written as a worker writes them
(``DeliveryLog.write``, its indexes with them), and a client signed in as a tenant.

``write_delivery`` seals a request whose URL and headers hold secrets, so a page that
showed more than its method and host would be caught.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from support.env import TEST_SECRET_KEY
from support.ui import signed_in
from switchboard.config import Redis, RedisKeys, Scope, SecretBox, Settings, TokenStore
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import Attempt, DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.delivery.sealing import RequestSealer
from switchboard.worker.web import create_app

__all__ = ["SECRET_PARTS", "tenant_session", "write_delivery"]

REQUEST = DeliveryRequest(
    url="https://hooks.example.com/secret-path?token=s3cret",
    headers={"Authorization": "Bearer hidden-bearer"},
    body=b"{}",
)
#: What of ``REQUEST`` no page may show.
SECRET_PARTS = ("secret-path", "s3cret", "hidden-bearer")


async def write_delivery(
    redis: Redis,
    keys: RedisKeys,
    *,
    event_id: str,
    config_id: str = "cfg_a",
    status: DeliveryStatus = DeliveryStatus.DELIVERED,
    attempts: tuple[Attempt, ...] = (),
    updated_at: float | None = None,
    **fields: Any,
) -> DeliveryRecord:
    """One delivery of ``event_id`` to ``config_id``, updated at ``updated_at`` (now);
    ``fields``: the record's others (tenant, event_type, waiting_for, dead_reason...)."""
    when = time.time() if updated_at is None else updated_at
    record = DeliveryRecord(
        id=delivery_id(event_id, config_id),
        event_id=event_id,
        event_type=fields.pop("event_type", "order.paid"),
        config_id=config_id,
        integration_id=fields.pop("integration_id", "switchboard.webhook"),
        request=RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(REQUEST),
        status=status,
        attempts=attempts,
        created_at=fields.pop("created_at", when),
        updated_at=when,
        **fields,
    )
    log = DeliveryLog(redis, keys, retention=3600, clock=lambda: when)
    async with redis.pipeline(transaction=True) as pipe:
        log.write(pipe, record, attempts[-1] if attempts else None)
        await pipe.execute()
    return record


@asynccontextmanager
async def tenant_session(
    settings: Settings, redis: Redis, tenant: str
) -> AsyncIterator[tuple[TestClient[Any, Any], str]]:
    """A client of a real app signed in with an admin token of ``tenant``, and its form
    token."""
    _, token = await TokenStore.for_settings(redis, settings).create(Scope.ADMIN, tenant)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, await signed_in(client, token)
