"""Deliveries through a real worker (the plugin's harness) to a recording endpoint that
answers as Zulip does (https://zulip.com/api/rest-error-handling): retries on the
harness's clock, Retry-After, and the errors that end them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson

from switchboard.testing import Answer, Harness, RecordingSink
from switchboard_zulip import ZulipIntegration

MakeHarness = Callable[..., Harness]
ZulipSettings = Callable[..., dict[str, Any]]
FormFields = Callable[[bytes], dict[str, str]]

PATH = "/api/v1/messages"
SENT = orjson.dumps({"id": 42, "msg": "", "result": "success"})


def zulip_error(status: int, code: str, msg: str, **extra: Any) -> Answer:
    body = orjson.dumps({"code": code, "msg": msg, "result": "error", **extra})
    headers = {"Content-Type": "application/json"}
    if status == 429:
        headers["Retry-After"] = str(extra["retry-after"])
    return Answer(status=status, body=body, headers=headers)


async def test_the_message_reaches_zulip_as_documented(
    switchboard_harness: MakeHarness,
    switchboard_sink: RecordingSink,
    zulip_settings: ZulipSettings,
    form_fields: FormFields,
) -> None:
    switchboard_sink.on(PATH, body=SENT)
    async with switchboard_harness(ZulipIntegration) as harness:
        await harness.add_config(ZulipIntegration, settings=zulip_settings(switchboard_sink.url()))
        await harness.emit("review.published", {"review_id": 7})
        [delivery] = await harness.deliveries(1)
    request = delivery.request
    assert (request.method, request.path) == ("POST", PATH)
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    authorization = request.header("Authorization") or ""
    assert authorization.startswith("Basic ")
    assert (
        base64.b64decode(authorization.removeprefix("Basic "))
        .decode()
        .startswith("reviews-bot@chat.example.com:")
    )
    assert form_fields(request.body) == {
        "type": "stream",
        "to": "code review",
        "topic": "review.published",
        "content": "**review.published**\n- **review_id**: 7",
    }
    assert delivery.status == "delivered"
    assert delivery.signature is None  # Zulip authenticates the bot; nothing to sign


async def test_a_server_error_is_retried_on_the_schedule(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink, zulip_settings: ZulipSettings
) -> None:
    """The schedule retries at once, then after 5 s: the test moves the clock."""
    switchboard_sink.script(PATH, 500, 502, Answer(body=SENT))
    async with switchboard_harness(ZulipIntegration) as harness:
        await harness.add_config(ZulipIntegration, settings=zulip_settings(switchboard_sink.url()))
        await harness.emit("review.published")
        await switchboard_sink.wait_for_count(2)
        [retrying] = await harness.deliveries(1, settled=False)
        assert (retrying.status, retrying.attempts) == ("retrying", 2)
        harness.advance(5)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [500, 502, 200]
    assert delivery.status == "delivered"


async def test_a_rate_limit_waits_as_long_as_zulip_asks(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink, zulip_settings: ZulipSettings
) -> None:
    limited = zulip_error(
        429, "RATE_LIMIT_HIT", "API usage exceeded rate limit", **{"retry-after": 120}
    )
    switchboard_sink.script(PATH, limited, Answer(body=SENT))
    async with switchboard_harness(ZulipIntegration) as harness:
        await harness.add_config(ZulipIntegration, settings=zulip_settings(switchboard_sink.url()))
        await harness.emit("review.published")
        [waiting] = await harness.deliveries(1, settled=False)
        first = waiting.record.attempts[0]
        assert waiting.status == "retrying"
        assert first.status == 429
        # Retry-After 120 outweighs the schedule's next delay (at once).
        assert waiting.record.next_attempt_at == first.at + 120
        harness.advance(120)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 200]
    assert delivery.record.attempts[1].at - first.at >= 120


async def test_bad_credentials_end_the_retries_at_once(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink, zulip_settings: ZulipSettings
) -> None:
    switchboard_sink.on(PATH, **vars(zulip_error(401, "INVALID_API_KEY", "Invalid API key")))
    async with switchboard_harness(ZulipIntegration) as harness:
        await harness.add_config(ZulipIntegration, settings=zulip_settings(switchboard_sink.url()))
        await harness.emit("review.published")
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "dead"
    assert delivery.attempts == 1
    assert [a.status for a in delivery.record.attempts] == [401]
    assert delivery.record.dead_reason is not None
    assert delivery.record.dead_reason.startswith("permanent failure")
    assert "INVALID_API_KEY" in delivery.record.attempts[0].body


async def test_a_channel_that_does_not_exist_ends_the_retries_at_once(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink, zulip_settings: ZulipSettings
) -> None:
    missing = zulip_error(
        400, "STREAM_DOES_NOT_EXIST", "Channel 'nowhere' does not exist", stream="nowhere"
    )
    switchboard_sink.on(PATH, **vars(missing))
    async with switchboard_harness(ZulipIntegration) as harness:
        await harness.add_config(
            ZulipIntegration, settings=zulip_settings(switchboard_sink.url(), stream="nowhere")
        )
        await harness.emit("review.published")
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)


async def test_a_retry_uses_the_api_key_as_it_is_now(
    switchboard_harness: MakeHarness, switchboard_sink: RecordingSink, zulip_settings: ZulipSettings
) -> None:
    """An operator who replaces a key mid-retry fixes the messages still pending."""
    switchboard_sink.script(PATH, 503, 503, Answer(body=SENT))
    async with switchboard_harness(ZulipIntegration) as harness:
        config = await harness.add_config(
            ZulipIntegration, settings=zulip_settings(switchboard_sink.url())
        )
        await harness.emit("review.published")
        await switchboard_sink.wait_for_count(2)
        await harness.edit_config(config.id, settings={"api_key": "the-new-key"})
        harness.advance(5)
        [delivery] = await harness.deliveries(1)
    keys = [
        base64.b64decode((r.header("Authorization") or "")[6:]).decode().split(":")[1]
        for r in delivery.requests
    ]
    assert keys[0] != "the-new-key"
    assert keys[-1] == "the-new-key"
