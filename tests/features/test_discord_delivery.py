"""Discord end to end: emit, the worker, the delivery engine, and a stand-in for Discord's
Execute Webhook that refuses what Discord refuses (``support.services.discord``): every
Review Board event type and other events arrive valid, posted with ``?wait=true`` and
no mention parsed; over-long and hostile text is accepted as cut and escaped; a 429
waits as long as Discord's ``retry_after`` says, using up no attempt; a deleted webhook
or an invalid token is a dead letter at once, its token in no log."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from support.chat_events import EVENTS
from support.services import discord as discord_service

from switchboard.integrations.builtin.chat.discord import DiscordIntegration
from switchboard.testing import Answer, Harness, RecordingSink, wait_for_async
from switchboard.worker.delivery import DeliveryRecord

MakeHarness = Callable[..., Harness]
TOKEN = discord_service.PATH.rsplit("/", 1)[1]


@pytest.fixture
def discord(switchboard_sink: RecordingSink) -> RecordingSink:
    switchboard_sink.validate(discord_service.PATH, discord_service.check)
    switchboard_sink.on(discord_service.PATH, **vars(discord_service.MESSAGE))
    return switchboard_sink


async def add_discord(harness: Harness, sink: RecordingSink, **settings: Any) -> Any:
    return await harness.add_config(
        DiscordIntegration,
        settings={"webhook_url": sink.url(discord_service.PATH), **settings},
    )


@pytest.mark.parametrize(("event_type", "data", "summary"), EVENTS)
async def test_each_event_type_arrives_as_a_valid_embed(
    switchboard_harness: MakeHarness,
    discord: RecordingSink,
    event_type: str,
    data: dict[str, Any],
    summary: str,
) -> None:
    async with switchboard_harness(DiscordIntegration) as harness:
        await add_discord(harness, discord, notify_username="Review Board")
        await harness.emit(event_type, data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    assert orjson.loads(delivery.record.attempts[0].body)["id"] == "1290000000000000001"
    [request] = discord.at(discord_service.PATH)
    assert request.query == {"wait": "true"}
    payload = request.json
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["username"] == "Review Board"
    [embed] = payload["embeds"]
    # The summary line, bold, its Markdown escaped.
    assert embed["description"].split("\n")[0].replace("\\", "") == f"**{summary}**"


async def test_over_long_and_hostile_text_is_accepted_cut_and_escaped(
    switchboard_harness: MakeHarness, discord: RecordingSink
) -> None:
    data = {
        "title": "@everyone " * 40,
        "text": "||@here|| [click](https://evil.example.com) **now** <@&123> " * 200,
        "fields": [{"title": "@everyone", "value": "# heading\n" * 300}] * 30,
    }
    async with switchboard_harness(DiscordIntegration) as harness:
        await add_discord(harness, discord)
        await harness.emit("ci.build.failed", data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    [embed] = delivery.request.json["embeds"]
    texts = [embed["description"]]
    texts += [t for f in embed["fields"] for t in (f["name"], f["value"])]
    for control in ("@everyone", "@here", "||", "[click](", "**now**", "<@&", "\n# "):
        # Markup only where no backslash escapes it.
        unescaped = re.compile(r"(?<!\\)" + re.escape(control))
        assert not any(unescaped.search(text) for text in texts), control
    # A title renders emphasis only (no links, mentions or headings): it is left as it is.
    assert embed["title"].startswith("@everyone @everyone")
    assert embed["description"].endswith("…")


@pytest.mark.parametrize(
    ("limited", "wait"),
    [
        (discord_service.rate_limited(64.57, header=False), 64.57),  # the body alone
        (discord_service.rate_limited(90.25), 91.0),  # Retry-After, rounded up, is longer
    ],
)
async def test_429_waits_as_long_as_discord_asks_using_up_no_attempt(
    switchboard_harness: MakeHarness,
    discord: RecordingSink,
    limited: Answer,
    wait: float,
) -> None:
    discord.script(discord_service.PATH, limited, limited, discord_service.MESSAGE)
    async with switchboard_harness(DiscordIntegration) as harness:
        await add_discord(harness, discord)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        for attempts in (1, 2):

            async def waiting(n: int = attempts) -> list[DeliveryRecord]:
                records = await harness.records()
                return [r for r in records if len(r.attempts) == n and r.status == "retrying"]

            [record] = await wait_for_async(waiting, what=f"{attempts} attempts, retrying")
            last = record.attempts[-1]
            assert record.next_attempt_at == pytest.approx(last.at + wait)
            harness.advance(wait)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 429, 200]
    assert delivery.status == "delivered"


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [(404, 10015, "Unknown Webhook"), (401, 50027, "Invalid Webhook Token")],
)
async def test_a_deleted_webhook_or_invalid_token_is_a_dead_letter_at_once(
    switchboard_harness: MakeHarness,
    discord: RecordingSink,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    message: str,
) -> None:
    discord.on(discord_service.PATH, **vars(discord_service.answer(status, code, message)))
    caplog.set_level(logging.DEBUG)
    async with switchboard_harness(DiscordIntegration) as harness:
        await add_discord(harness, discord)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    attempt = delivery.record.attempts[0]
    assert attempt.status == status
    assert orjson.loads(attempt.body) == {"code": code, "message": message}
    assert (delivery.record.dead_reason or "").startswith("permanent failure")
    assert TOKEN not in caplog.text
    assert TOKEN not in delivery.record.model_dump_json()
