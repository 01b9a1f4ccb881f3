"""Slack end to end: emit, the worker, the delivery engine, and a stand-in for Slack's
webhook that refuses what Slack refuses (``support.services.slack``): every Review Board
event type and other events arrive valid; over-long and hostile text is accepted as
cut and escaped; 429 waits as asked; a revoked webhook is a dead letter at once; and
Slack's one message a second per webhook is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.chat_events import EVENTS
from support.services import slack as slack_service

from switchboard.integrations.builtin.chat.slack import SlackIntegration
from switchboard.testing import Answer, Harness, RecordingSink, wait_for_async
from switchboard.worker.delivery import DeliveryRecord
from switchboard.worker.delivery.vocabulary import WaitReason

MakeHarness = Callable[..., Harness]


@pytest.fixture
def slack(switchboard_sink: RecordingSink) -> RecordingSink:
    switchboard_sink.validate(slack_service.PATH, slack_service.check)
    return switchboard_sink


async def add_slack(harness: Harness, sink: RecordingSink, **fields: Any) -> Any:
    return await harness.add_config(
        SlackIntegration, settings={"webhook_url": sink.url(slack_service.PATH)}, **fields
    )


@pytest.mark.parametrize(("event_type", "data", "summary"), EVENTS)
async def test_each_event_type_arrives_as_a_valid_message(
    switchboard_harness: MakeHarness,
    slack: RecordingSink,
    event_type: str,
    data: dict[str, Any],
    summary: str,
) -> None:
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack)
        await harness.emit(event_type, data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    assert delivery.record.attempts[0].body == "ok"
    blocks = delivery.request.json["blocks"]
    assert summary.replace("&", "&amp;") in blocks[1]["text"]["text"]


async def test_over_long_and_hostile_text_is_accepted_cut_and_escaped(
    switchboard_harness: MakeHarness, slack: RecordingSink
) -> None:
    data = {
        "title": "<!everyone> " * 40,
        "text": "<https://evil.example.com|click here> & " * 500,
        "fields": [{"title": "<!here>", "value": "x" * 5000}] * 30,
    }
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack)
        await harness.emit("ci.build.failed", data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    sent = delivery.request.body.decode()
    assert "<!everyone>" not in sent
    assert "<!here>" not in sent
    assert "<https://evil" not in sent
    assert delivery.request.json["blocks"][2]["text"]["text"].endswith("…")


async def test_429_waits_as_long_as_slack_asks_then_delivers(
    switchboard_harness: MakeHarness, slack: RecordingSink
) -> None:
    limited = slack_service.answer(429, "rate_limited", {"Retry-After": "90"})
    slack.script(slack_service.PATH, limited, Answer(body=b"ok"))
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [waiting] = await harness.deliveries(1, settled=False)
        assert waiting.status == "retrying"
        assert waiting.record.next_attempt_at == waiting.record.attempts[0].at + 90
        harness.advance(90)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 200]
    assert delivery.status == "delivered"


@pytest.mark.parametrize(
    ("status", "error"), [(404, "no_service"), (403, "invalid_token"), (404, "channel_not_found")]
)
async def test_a_revoked_webhook_is_a_dead_letter_at_once(
    switchboard_harness: MakeHarness, slack: RecordingSink, status: int, error: str
) -> None:
    slack.on(slack_service.PATH, **vars(slack_service.answer(status, error)))
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    attempt = delivery.record.attempts[0]
    assert (attempt.status, attempt.body) == (status, error)
    assert (delivery.record.dead_reason or "").startswith("permanent failure")


async def test_one_message_a_second_per_webhook_by_default(
    switchboard_harness: MakeHarness, slack: RecordingSink
) -> None:
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack)
        await harness.emit("ci.build.failed", {"title": "first"})
        await harness.emit("ci.build.failed", {"title": "second"})

        async def one_held() -> list[DeliveryRecord]:
            records = await harness.records()
            return (
                [r for r in records if r.waiting_for is WaitReason.RATE_LIMIT]
                if len(records) == 2
                else []
            )

        [held] = await wait_for_async(one_held, what="the second message held for its slot")
        [sent] = await harness.deliveries(1)
        assert held.attempts == ()  # waiting for its slot costs no attempt
        assert held.next_attempt_at == sent.record.attempts[0].at + 1
        harness.advance(1)
        settled = await harness.deliveries(2)
    assert [d.status for d in settled] == ["delivered", "delivered"]
    assert all(len(d.record.attempts) == 1 for d in settled)
    assert settled[1].record.attempts[0].at - settled[0].record.attempts[0].at >= 1


async def test_an_operators_rate_limit_replaces_the_default(
    switchboard_harness: MakeHarness, slack: RecordingSink
) -> None:
    async with switchboard_harness(SlackIntegration) as harness:
        await add_slack(harness, slack, rate_limit=1000.0)
        for n in range(3):
            await harness.emit("ci.build.failed", {"title": f"build {n}"})
        deliveries = await harness.deliveries(3)
    assert all(d.status == "delivered" for d in deliveries)
