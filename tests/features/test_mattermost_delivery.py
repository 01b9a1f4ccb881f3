"""Mattermost end to end: emit, the worker, the delivery engine, and a stand-in for
Mattermost's incoming webhook that refuses what Mattermost refuses
(``support.services.mattermost``): every Review Board event type and other events arrive
valid and as one post; over-long and hostile text is accepted as cut and escaped; 429
waits as asked; a deleted webhook is a dead letter at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from support.chat_events import EVENTS
from support.services import mattermost as mattermost_service

from switchboard.integrations.builtin.chat.mattermost import MattermostIntegration
from switchboard.testing import Answer, Harness, RecordingSink, wait_for_async
from switchboard.worker.delivery import DeliveryRecord

MakeHarness = Callable[..., Harness]


@pytest.fixture
def mattermost(switchboard_sink: RecordingSink) -> RecordingSink:
    switchboard_sink.validate(mattermost_service.PATH, mattermost_service.check)
    return switchboard_sink


async def add_mattermost(harness: Harness, sink: RecordingSink, **settings: Any) -> Any:
    return await harness.add_config(
        MattermostIntegration,
        settings={"webhook_url": sink.url(mattermost_service.PATH), **settings},
    )


@pytest.mark.parametrize(("event_type", "data", "summary"), EVENTS)
async def test_each_event_type_arrives_as_one_valid_post(
    switchboard_harness: MakeHarness,
    mattermost: RecordingSink,
    event_type: str,
    data: dict[str, Any],
    summary: str,
) -> None:
    async with switchboard_harness(MattermostIntegration) as harness:
        await add_mattermost(harness, mattermost, channel="reviews", notify_username="RB")
        await harness.emit(event_type, data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    assert delivery.record.attempts[0].body == "ok"
    payload = delivery.request.json
    assert mattermost_service.posts(payload) == 1
    assert (payload["channel"], payload["username"]) == ("reviews", "RB")
    # The summary line, as Markdown with its punctuation escaped.
    assert payload["attachments"][0]["pretext"].replace("\\", "") == summary


async def test_over_long_and_hostile_text_is_accepted_cut_and_escaped(
    switchboard_harness: MakeHarness, mattermost: RecordingSink
) -> None:
    data = {
        "title": "@all " * 400,
        "text": "<!channel> <https://evil.example.com|click here> **now** " * 500,
        "fields": [{"title": "@here", "value": "[x](https://evil.example.com) " * 200}] * 30,
    }
    async with switchboard_harness(MattermostIntegration) as harness:
        await add_mattermost(harness, mattermost)
        await harness.emit("ci.build.failed", data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    payload = delivery.request.json
    assert mattermost_service.posts(payload) == 1
    sent = orjson.dumps(payload).decode()
    for mention in ("@all", "@here", "@channel"):
        assert mention not in sent
    [attachment] = payload["attachments"]
    for control in ("<!channel>", "<https://evil", "**now**", "[x]("):
        assert control not in attachment["text"] + attachment["fields"][0]["value"]
    assert attachment["text"].endswith("…")


async def test_429_waits_as_long_as_mattermost_asks_then_delivers(
    switchboard_harness: MakeHarness, mattermost: RecordingSink
) -> None:
    limited = Answer(status=429, headers={"Retry-After": "120"}, body=b"429 Too Many Requests")
    mattermost.script(mattermost_service.PATH, limited, Answer(body=b"ok"))
    async with switchboard_harness(MattermostIntegration) as harness:
        await add_mattermost(harness, mattermost)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [waiting] = await harness.deliveries(1, settled=False)
        assert waiting.status == "retrying"
        assert waiting.record.next_attempt_at == waiting.record.attempts[0].at + 120
        harness.advance(120)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 200]
    assert delivery.status == "delivered"


@pytest.mark.parametrize(
    "error",
    [
        "web.incoming_webhook.invalid.app_error",
        "web.incoming_webhook.channel.app_error",
        "web.incoming_webhook.channel_locked.app_error",
    ],
)
async def test_a_deleted_or_refusing_webhook_is_a_dead_letter_at_once(
    switchboard_harness: MakeHarness, mattermost: RecordingSink, error: str
) -> None:
    refusal = mattermost_service.answer(error)
    mattermost.on(mattermost_service.PATH, **vars(refusal))
    async with switchboard_harness(MattermostIntegration) as harness:
        await add_mattermost(harness, mattermost)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    attempt = delivery.record.attempts[0]
    assert attempt.status == refusal.status
    assert orjson.loads(attempt.body)["id"] == error
    assert (delivery.record.dead_reason or "").startswith("permanent failure")
    assert mattermost_service.PATH not in (delivery.record.dead_reason or "")


async def test_a_server_error_is_retried(
    switchboard_harness: MakeHarness, mattermost: RecordingSink
) -> None:
    """At once, then after 5 s (the schedule): the test waits for the record, not time."""
    mattermost.script(mattermost_service.PATH, 500, 503, Answer(body=b"ok"))
    async with switchboard_harness(MattermostIntegration) as harness:
        await add_mattermost(harness, mattermost)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})

        async def twice_failed() -> list[DeliveryRecord]:
            records = await harness.records()
            return [r for r in records if len(r.attempts) == 2 and r.status == "retrying"]

        [record] = await wait_for_async(twice_failed, what="two failed attempts")
        harness.advance((record.next_attempt_at or 0) - record.attempts[-1].at)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [500, 503, 200]
