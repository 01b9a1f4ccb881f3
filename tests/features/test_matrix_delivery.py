"""Matrix end to end: emit, the worker, the delivery engine, and a stand-in homeserver that
refuses what the spec refuses (``support.services.matrix``): every Review Board event type
and other events arrive valid; over-long and hostile text is accepted as cut and escaped;
a retry after a lost answer posts nothing twice (the transaction id is the delivery id);
429 waits as ``retry_after_ms`` asks; a revoked token or a closed room is a dead letter at
once; and the token never reaches a URL or the attempt log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.chat_events import EVENTS
from support.services import matrix as matrix_service
from support.services.matrix import Homeserver

from switchboard.config import Settings
from switchboard.integrations.builtin.chat.matrix import MatrixIntegration
from switchboard.testing import Harness

MakeHarness = Callable[..., Harness]


@pytest.fixture
async def homeserver() -> AsyncIterator[Homeserver]:
    async with Homeserver() as server:
        yield server


@pytest.fixture
def switchboard_harness(switchboard_settings: Settings, homeserver: Homeserver) -> MakeHarness:
    """The plugin's harness, watching the homeserver instead of the plugin's sink."""

    def make(*integrations: type[Any]) -> Harness:
        return Harness(switchboard_settings, *integrations, sink=homeserver)

    return make


async def add_matrix(harness: Harness, server: Homeserver, **settings: Any) -> Any:
    return await harness.add_config(
        MatrixIntegration,
        settings={
            "server": server.url(),
            "room_id": matrix_service.ROOM_ID,
            "access_token": matrix_service.TOKEN,
            **settings,
        },
    )


@pytest.mark.parametrize(("event_type", "data", "summary"), EVENTS)
async def test_each_event_type_arrives_as_a_valid_event(
    switchboard_harness: MakeHarness,
    homeserver: Homeserver,
    event_type: str,
    data: dict[str, Any],
    summary: str,
) -> None:
    async with switchboard_harness(MatrixIntegration) as harness:
        await add_matrix(harness, homeserver)
        await harness.emit(event_type, data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered", delivery.record.attempts
    assert delivery.record.attempts[0].body == '{"event_id":"$event1:example.org"}'
    assert list(homeserver.events) == [delivery.record.id]  # the txn id is the delivery id
    content = delivery.request.json
    assert (
        summary.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        in (content["formatted_body"])
    )


async def test_over_long_and_hostile_text_is_accepted_cut_and_escaped(
    switchboard_harness: MakeHarness, homeserver: Homeserver
) -> None:
    data = {
        "title": "<script>alert(1)</script> " * 40,
        "text": '<a href="https://evil.example.com">click here</a> @room & ' * 1500,
        "fields": [{"title": "<b>", "value": "<img src=x>" * 100}] * 60,
    }
    async with switchboard_harness(MatrixIntegration) as harness:
        await add_matrix(harness, homeserver)
        await harness.emit("ci.build.failed", data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    html = delivery.request.json["formatted_body"]
    for markup in ("<script", "<img", 'evil.example.com"'):
        assert markup not in html
    assert "…</blockquote>" in html


async def test_a_retry_after_a_lost_answer_posts_nothing_twice(
    switchboard_harness: MakeHarness, homeserver: Homeserver
) -> None:
    homeserver.script(matrix_service.stored(matrix_service.error(500, "M_UNKNOWN", "oops")))
    async with switchboard_harness(MatrixIntegration) as harness:
        await add_matrix(harness, homeserver)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    assert [a.status for a in delivery.record.attempts] == [500, 200]
    first, retry = homeserver.received
    assert first.path == retry.path  # the same transaction
    assert first.body == retry.body
    assert len(homeserver.events) == 1  # posted once, answered twice


async def test_429_waits_as_long_as_retry_after_ms_asks(
    switchboard_harness: MakeHarness, homeserver: Homeserver
) -> None:
    limited = matrix_service.error(
        429, "M_LIMIT_EXCEEDED", "Too many requests", retry_after_ms=90_000
    )
    homeserver.script(limited)
    async with switchboard_harness(MatrixIntegration) as harness:
        await add_matrix(harness, homeserver)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [waiting] = await harness.deliveries(1, settled=False)
        assert waiting.status == "retrying"
        assert waiting.record.next_attempt_at == waiting.record.attempts[0].at + 90
        harness.advance(90)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 200]
    assert delivery.status == "delivered"
    assert len(homeserver.events) == 1


@pytest.mark.parametrize(
    ("settings", "status", "errcode"),
    [
        ({"access_token": "syt_revoked"}, 401, "M_UNKNOWN_TOKEN"),
        ({"room_id": "!left:example.org"}, 403, "M_FORBIDDEN"),
    ],
)
async def test_a_revoked_token_or_a_closed_room_is_a_dead_letter_at_once(
    switchboard_harness: MakeHarness,
    homeserver: Homeserver,
    settings: dict[str, str],
    status: int,
    errcode: str,
) -> None:
    async with switchboard_harness(MatrixIntegration) as harness:
        await add_matrix(harness, homeserver, **settings)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    attempt = delivery.record.attempts[0]
    assert attempt.status == status
    assert errcode in attempt.body
    assert (delivery.record.dead_reason or "").startswith("permanent failure")
    assert homeserver.events == {}
    [request] = homeserver.received
    assert "access_token" not in request.query
    token = settings.get("access_token", matrix_service.TOKEN)
    assert token not in delivery.record.model_dump_json()


async def test_a_retry_uses_the_token_as_it_is_now_in_the_same_transaction(
    switchboard_harness: MakeHarness, homeserver: Homeserver
) -> None:
    limited = matrix_service.error(429, "M_LIMIT_EXCEEDED", "Too many", retry_after_ms=60_000)
    homeserver.script(limited)
    async with switchboard_harness(MatrixIntegration) as harness:
        config = await add_matrix(harness, homeserver)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [waiting] = await harness.deliveries(1, settled=False)
        homeserver.token = "syt_rotated"  # the old token is revoked...
        await harness.edit_config(config.id, settings={"access_token": "syt_rotated"})
        harness.advance(60)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"  # ...and the retry carries the new one
    first, retry = homeserver.received
    assert first.path == retry.path
    assert retry.header("Authorization") == "Bearer syt_rotated"
    assert list(homeserver.events) == [waiting.record.id]
