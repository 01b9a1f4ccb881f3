"""``Harness``: an author's integration in a real worker, with the plugin's fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from pydantic import Field
from standardwebhooks.webhooks import Webhook

from switchboard.config import Settings, open_redis
from switchboard.integrations import (
    ConfigForm,
    ConfigValidationError,
    DeliveryOutcome,
    DeliveryRequest,
    Event,
    Integration,
)
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import Answer, Harness, RecordingSink, wait_for


class PingerForm(ConfigForm):
    url: str = Field(title="URL")


class Pinger(Integration):
    """Posts each ``ping`` event to its configuration's ``url``."""

    integration_id = "tests.testing.pinger"
    config_form_cls = PingerForm

    def initialize(self) -> None:
        self.subscribe("ping", self.on_ping)

    async def on_ping(self, event: Event) -> None:
        for config in await self.get_configs(event):
            payload = {"n": event.data.get("n")}
            await self.send(config, event, DeliveryRequest.post_json(config.get("url"), payload))


MakeHarness = Callable[..., Harness]


async def test_an_event_reaches_the_sink_with_its_record(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink
) -> None:
    async with switchboard_harness(Pinger) as harness:
        await harness.add_config(Pinger, settings={"url": switchboard_sink.url("/ping")})
        event_id = await harness.emit("ping", {"n": 7})
        [delivery] = await harness.deliveries(1)
    assert delivery.request.json == {"n": 7}
    assert delivery.record.event_id == event_id
    assert delivery.status == "delivered"
    assert delivery.outcome is DeliveryOutcome.DELIVERED
    assert delivery.attempts == 1
    assert delivery.signature is None  # Pinger does not sign
    assert delivery.request.header("webhook-id") == delivery.record.id


async def test_a_delivery_waits_for_its_record_to_catch_up_with_the_sink(
    switchboard_harness: MakeHarness,
    switchboard_sink: RecordingSink,
    switchboard_settings: Settings,
) -> None:
    """The sink answers before the worker writes the attempt down: ``deliveries()`` returns
    a record that holds every request the sink has, never the one before."""
    second = asyncio.Event()
    switchboard_sink.script("/ping", 500, Answer(status=500, gate=second), 200)
    async with (
        switchboard_harness(Pinger) as harness,
        open_redis(switchboard_settings) as redis,
    ):
        await harness.add_config(Pinger, settings={"url": switchboard_sink.url("/ping")})
        await harness.emit("ping", {"n": 1})
        await wait_for(lambda: switchboard_sink.arrived == 2, what="the retry, at the gate")
        # The worker's writes of the second attempt now wait 0.5 s; the harness's reads do not.
        await redis.execute_command("CLIENT", "PAUSE", 500, "WRITE")
        second.set()
        await switchboard_sink.wait_for_count(2)  # answered: the worker's write is paused
        [retrying] = await harness.deliveries(1, settled=False)
        assert retrying.attempts == 2
        assert retrying.record.next_attempt_at == harness.clock.now + 5


async def test_500_then_200_is_retried_on_the_fake_clock_in_no_time(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink
) -> None:
    """The schedule's first retry is at once, the second 5 s later: the test moves time."""
    switchboard_sink.script("/ping", 500, 500, 200)
    async with switchboard_harness(Pinger) as harness:
        await harness.add_config(Pinger, settings={"url": switchboard_sink.url("/ping")})
        await harness.emit("ping", {"n": 1})
        [waiting] = await harness.deliveries(1, settled=False)
        await switchboard_sink.wait_for_count(2)  # the first, and the immediate retry
        [retrying] = await harness.deliveries(1, settled=False)
        assert retrying.status == "retrying"
        assert retrying.attempts == 2
        harness.advance(5)
        [delivery] = await harness.deliveries(1)
    assert waiting.record.id == delivery.record.id
    assert [a.status for a in delivery.record.attempts] == [500, 500, 200]
    assert len(delivery.requests) == 3
    assert delivery.status == "delivered"


async def test_the_webhook_signs_and_the_signature_verifies(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink
) -> None:
    async with switchboard_harness(WebhookIntegration) as harness:
        config = await harness.add_config(
            WebhookIntegration, settings={"url": switchboard_sink.url("/hook")}
        )
        await harness.emit("review.published", {"review_id": 1})
        [delivery] = await harness.deliveries(1)
    assert delivery.signature is not None
    secret = config.settings["secret"]
    Webhook(secret).verify(delivery.request.body, delivery.request.headers)


async def test_a_bad_setting_fails_with_the_field_named(
    switchboard_harness: MakeHarness,
) -> None:
    async with switchboard_harness(WebhookIntegration) as harness:
        with pytest.raises(ConfigValidationError) as caught:
            await harness.add_config(WebhookIntegration, settings={"url": "not a url"})
    assert list(caught.value.errors) == ["url"]


async def test_only_loopback_is_let_through_the_ssrf_guard(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink
) -> None:
    """A private address is refused: a dead letter, recorded, never sent."""
    async with switchboard_harness(Pinger) as harness:
        await harness.add_config(Pinger, settings={"url": "http://10.0.0.1/hook"})
        await harness.emit("ping", {"n": 1})
        records = await _wait_for_records(harness, 1)
    assert records[0].status == "dead"
    assert records[0].attempts[0].error_class == "blocked"
    assert switchboard_sink.received == []


async def _wait_for_records(harness: Harness, count: int) -> list:  # type: ignore[type-arg]
    from switchboard.testing import wait_for_async

    async def settled() -> list:  # type: ignore[type-arg]
        records = [r for r in await harness.records() if r.status != "pending"]
        return records if len(records) >= count else []

    return await wait_for_async(settled, what=f"{count} records")


async def test_deliveries_without_a_sink_is_a_usage_error(switchboard_settings: object) -> None:
    harness = Harness(switchboard_settings, Pinger)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no sink"):
        await harness.deliveries(1)


async def test_edit_config_returns_once_the_worker_follows_the_change(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink
) -> None:
    """A retry after the edit goes where the configuration says now (the webhook's
    refresh_request follows its URL)."""
    switchboard_sink.script("/old", 500)
    async with switchboard_harness(WebhookIntegration) as harness:
        config = await harness.add_config(
            WebhookIntegration, settings={"url": switchboard_sink.url("/old")}
        )
        await harness.emit("review.published", {"review_id": 1})
        await switchboard_sink.wait_for_count(2)  # the first attempt and the immediate retry
        edited = await harness.edit_config(
            config.id, name="moved", settings={"url": switchboard_sink.url("/new")}
        )
        loaded = harness.manager.get_config(config.id)
        assert loaded is not None
        assert (loaded.name, loaded.get("url")) == ("moved", switchboard_sink.url("/new"))
        harness.advance(5)
        [delivery] = await harness.deliveries(1)
    assert edited.name == "moved"
    assert [r.path for r in delivery.requests] == ["/old", "/old", "/new"]
    assert delivery.status == "delivered"
