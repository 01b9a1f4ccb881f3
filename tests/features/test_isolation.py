"""A hanging endpoint holds only its own host's slots: healthy endpoints keep flowing."""

from __future__ import annotations

import asyncio

import pytest
from support.webhooks import add_webhook
from support.workers import running_worker

from switchboard.config import ConfigStore, Settings
from switchboard.testing import RecordingSink
from switchboard.worker import EventClient

EVENTS = 20


@pytest.mark.slow
async def test_a_hanging_endpoint_does_not_starve_a_healthy_one(
    settings: Settings, store: ConfigStore
) -> None:
    tight = settings.model_copy(
        update={
            # More job slots than host slots (as the defaults have it, 64 and 10), few of
            # each, a long timeout: without the host wait, every job would queue behind
            # the hanging endpoint for the whole timeout.
            "worker_concurrency": 6,
            "http_max_connections_per_host": 2,
            "http_timeout": 30.0,
            "retry_concurrency": 2,
        }
    )
    async with RecordingSink() as hanging, RecordingSink() as healthy:
        gate = hanging.on("/hang", gate=asyncio.Event()).gate
        assert gate is not None
        await add_webhook(store, "hanging", hanging.url("/hang"))
        await add_webhook(store, "healthy", healthy.url("/ok"))
        async with running_worker(tight), EventClient(tight) as client:
            ids = [await client.emit("review.published", {"n": n}) for n in range(EVENTS)]
            received = await healthy.wait_for_count(EVENTS, timeout=15)
            # Meanwhile the hanging endpoint holds just its two slots.
            assert hanging.arrived == 2
            assert sorted(r.json["id"] for r in received) == sorted(ids)
            # Once it answers, its deferred deliveries follow, each exactly once.
            gate.set()
            late = await hanging.wait_for_count(EVENTS, timeout=30)
    assert sorted(r.json["id"] for r in late) == sorted(ids)
