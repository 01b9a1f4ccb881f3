"""Switchboard's own events reach only the webhooks that ask for them, and never loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.webhooks import WebhookRig, webhook_rig

from switchboard.config import ConfigStore, Redis, RedisKeys, Settings
from switchboard.integrations import Event
from switchboard.testing import RecordingSink

DISABLED = Event(type="switchboard.config.disabled", data={"config_id": "cfg_x"})


@pytest.fixture
async def rig(
    settings: Settings, store: ConfigStore, redis_client: Redis
) -> AsyncIterator[WebhookRig]:
    async with webhook_rig(settings, store, redis_client) as rig:
        yield rig


async def test_star_means_the_apps_events_not_switchboards(rig: WebhookRig) -> None:
    async with RecordingSink() as sink:
        await rig.create(name="all", settings={"url": sink.url("/all")})
        await rig.create(
            name="ops", settings={"url": sink.url("/ops"), "event_types": ["switchboard.*"]}
        )
        await rig.webhook.on_event(DISABLED)
        await rig.webhook.on_event(Event(type="review.published"))
    assert [r.json["type"] for r in sink.at("/ops")] == ["switchboard.config.disabled"]
    assert [r.json["type"] for r in sink.at("/all")] == ["review.published"]


async def test_a_dead_internal_event_emits_no_further_dead_letter_event(
    settings: Settings, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    """Otherwise a dead endpoint subscribed to switchboard.* would feed itself forever."""
    no_retries = settings.model_copy(update={"retry_schedule": ()})
    async with (
        RecordingSink() as sink,
        webhook_rig(no_retries, store, redis_client, engine=True) as rig,
    ):
        sink.on("/ops", status=500)
        await rig.create(
            name="ops", settings={"url": sink.url("/ops"), "event_types": ["switchboard.*"]}
        )
        await rig.webhook.on_event(DISABLED)
        await rig.webhook.on_event(Event(type="review.published"))  # not for /ops
    assert len(sink.at("/ops")) == 1
    assert await redis_client.zcard(keys.dead_letters) == 1
    assert await redis_client.zcard(settings.effective_queue_name) == 0  # no exhausted event
