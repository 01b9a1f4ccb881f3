"""Microsoft Teams end to end: emit, the worker, the delivery engine, and a stand-in for a
Workflows webhook that refuses every card Teams could not post (``support.services.msteams``):
every Review Board event type and other events arrive valid; over-long and hostile text is
accepted as cut and escaped; 429 waits as asked; a deleted or disabled flow is a dead
letter at once; and the signature in the URL never reaches the attempt log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from support.chat_events import EVENTS
from support.services import msteams as teams_service

from switchboard.integrations.builtin.chat.msteams import TeamsIntegration
from switchboard.testing import Harness, RecordingSink

MakeHarness = Callable[..., Harness]


@pytest.fixture
def teams(switchboard_sink: RecordingSink) -> RecordingSink:
    switchboard_sink.on(teams_service.PATH, **vars(teams_service.accepted()))
    switchboard_sink.validate(teams_service.PATH, teams_service.check)
    return switchboard_sink


async def add_teams(harness: Harness, sink: RecordingSink, **fields: Any) -> Any:
    url = sink.url(teams_service.PATH + teams_service.QUERY)
    return await harness.add_config(TeamsIntegration, settings={"webhook_url": url}, **fields)


@pytest.mark.parametrize(("event_type", "data", "summary"), EVENTS)
async def test_each_event_type_arrives_as_a_valid_card(
    switchboard_harness: MakeHarness,
    teams: RecordingSink,
    event_type: str,
    data: dict[str, Any],
    summary: str,
) -> None:
    async with switchboard_harness(TeamsIntegration) as harness:
        await add_teams(harness, teams)
        await harness.emit(event_type, data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    assert delivery.record.attempts[0].status == 202
    card = delivery.request.json["attachments"][0]["content"]
    assert summary in card["body"][1]["text"]


async def test_over_long_and_hostile_text_is_accepted_cut_and_escaped(
    switchboard_harness: MakeHarness, teams: RecordingSink
) -> None:
    data = {
        "title": "[click](https://evil.example.com) " * 40,
        "text": "**[click here](https://evil.example.com)** \\ " * 2000,
        "fields": [{"title": "_it_", "value": "[x](https://evil.example.com)" * 100}] * 30,
    }
    async with switchboard_harness(TeamsIntegration) as harness:
        await add_teams(harness, teams)
        await harness.emit("ci.build.failed", data)
        [delivery] = await harness.deliveries(1)
    assert delivery.status == "delivered"
    card = delivery.request.json["attachments"][0]["content"]
    sent = orjson.dumps(card["body"]).decode()
    assert "[click" not in sent.replace("\\\\[click", "")  # every [ escaped
    assert card["body"][2]["text"].endswith("…")


async def test_429_waits_as_long_as_asked_then_delivers(
    switchboard_harness: MakeHarness, teams: RecordingSink
) -> None:
    throttled = teams_service.answer(429, "TooManyRequests", "Slow down.", {"Retry-After": "30"})
    teams.script(teams_service.PATH, throttled, teams_service.accepted())
    async with switchboard_harness(TeamsIntegration) as harness:
        await add_teams(harness, teams)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [waiting] = await harness.deliveries(1, settled=False)
        assert waiting.status == "retrying"
        assert waiting.record.next_attempt_at is not None
        assert waiting.record.next_attempt_at >= waiting.record.attempts[0].at + 30
        harness.advance(waiting.record.next_attempt_at - waiting.record.attempts[0].at)
        [delivery] = await harness.deliveries(1)
    assert [a.status for a in delivery.record.attempts] == [429, 202]
    assert delivery.status == "delivered"


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, "WorkflowNotFound"), (403, "WorkflowTriggerIsNotEnabled"), (401, "Unauthorized")],
)
async def test_a_deleted_or_disabled_flow_is_a_dead_letter_at_once(
    switchboard_harness: MakeHarness, teams: RecordingSink, status: int, code: str
) -> None:
    teams.on(teams_service.PATH, **vars(teams_service.answer(status, code, "gone")))
    async with switchboard_harness(TeamsIntegration) as harness:
        await add_teams(harness, teams)
        await harness.emit("ci.build.failed", {"title": "Build 7 failed"})
        [delivery] = await harness.deliveries(1)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    attempt = delivery.record.attempts[0]
    assert attempt.status == status
    assert code in attempt.body
    assert (delivery.record.dead_reason or "").startswith("permanent failure")
    assert teams_service.SIG not in delivery.record.model_dump_json()
