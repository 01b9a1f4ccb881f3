"""Teams' Adaptive Card, checked against the documented rules (``support.services.msteams``),
its size limit, its Markdown escaping, and how the Workflow's answers are judged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from support.chat_events import SHIP_IT_REVIEW
from support.services import msteams as teams_service
from support.services import posted

from switchboard.integrations import DeliveryResponse, Verdict
from switchboard.integrations.builtin.chat import ELLIPSIS
from switchboard.integrations.builtin.chat.msteams import (
    MAX_PAYLOAD_BYTES,
    TeamsForm,
    TeamsIntegration,
    markdown,
)
from switchboard.testing import HandlerRecorder, Received

URL = (
    "https://prod-12.westeurope.logic.azure.com/workflows/0a1b2c3d/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc"
)


def received(payload: Any, content_type: str = "application/json") -> Received:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return posted(teams_service.PATH, body, content_type, query={"sig": teams_service.SIG})


def card_of(payload: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = payload["attachments"][0]["content"]
    return content


async def payload_of(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    with HandlerRecorder(TeamsIntegration) as recorder:
        recorder.add_config(TeamsIntegration, settings={"webhook_url": URL})
        [sent] = await recorder.emit(event_type, data)
    assert sent.request.url == URL
    assert teams_service.violations(received(sent.request.body)) == []
    payload: dict[str, Any] = sent.json
    return payload


async def test_a_review_as_an_adaptive_card() -> None:
    payload = await payload_of(
        "review.published",
        SHIP_IT_REVIEW,
    )
    [attachment] = payload["attachments"]
    assert (attachment["contentType"], attachment["contentUrl"]) == (
        "application/vnd.microsoft.card.adaptive",
        None,
    )
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, summary, body, facts, context = card["body"]
    assert (title["text"], title["weight"]) == ("#42: Fix the parser", "Bolder")
    assert summary["text"] == (
        "[New review from alice (Ship it!)](https://rb.example.com/r/42/#review7)"
    )
    assert summary["color"] == "Good"
    assert body["text"] == "Nice."
    assert facts == {"type": "FactSet", "facts": [{"title": "Ship it!", "value": "✅"}]}
    assert context["text"].startswith("[alice](https://rb.example.com/users/alice/) · ")
    assert context["text"].endswith(" UTC · review.published")
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open", "url": "https://rb.example.com/r/42/#review7"}
    ]


async def test_no_link_and_no_action_without_a_url() -> None:
    payload = await payload_of("ci.build", {"title": "Build 7"})
    card = card_of(payload)
    assert "actions" not in card
    assert "](" not in orjson.dumps(card["body"]).decode()


async def test_hostile_markup_is_escaped_everywhere() -> None:
    hostile = "[click](https://evil.example.com) **loud** _it_ \\"
    payload = await payload_of(
        "ci.build",
        {
            "title": hostile,
            "text": f"{hostile}\n- a list\n12. numbered\n  + nested",
            "fields": [{"title": hostile, "value": hostile}],
            "author": hostile,
        },
    )
    card = card_of(payload)
    escaped = "\\[click\\](https://evil.example.com) \\*\\*loud\\*\\* \\_it\\_ \\\\"
    assert card["body"][0]["text"] == escaped
    assert card["body"][2]["text"] == (escaped + "\n\n\\- a list\n\n12\\. numbered\n\n  \\+ nested")
    assert card["body"][3]["facts"] == [{"title": escaped, "value": escaped}]
    assert card["body"][4]["text"].startswith(escaped + " · ")


def test_only_list_markers_at_a_line_start_are_escaped() -> None:
    assert markdown("re-based 1. 2) x-y", 100) == "re-based 1. 2) x-y"
    assert markdown("1.5 and -3", 100) == "1.5 and -3"
    # The placeholders the escaping uses cannot be smuggled in.
    assert markdown("a\ue000b", 100) == "ab"


async def test_over_long_text_keeps_the_card_under_28_kb() -> None:
    payload = await payload_of(
        "ci.build",
        {
            "title": "T" * 500,
            "text": "\\" * 50_000,  # \\\\ in Markdown, four bytes each in JSON
            "fields": [{"title": f"f{i}" * 300, "value": "v" * 3000} for i in range(50)],
        },
    )
    assert len(orjson.dumps(payload)) <= MAX_PAYLOAD_BYTES
    card = card_of(payload)
    assert card["body"][0]["text"].endswith(ELLIPSIS)
    body = card["body"][2]["text"]
    assert body.endswith("\\\\" + ELLIPSIS)  # whole escapes only
    facts = card["body"][3]["facts"]
    assert 1 <= len(facts) <= 25
    assert all(len(f["value"].encode()) <= 2000 for f in facts)


async def test_many_facts_alone_are_cut_to_fit() -> None:
    payload = await payload_of("ci.build", {"fields": [{"title": "t", "value": "\\" * 2000}] * 25})
    assert len(orjson.dumps(payload)) <= MAX_PAYLOAD_BYTES
    assert 1 <= len(card_of(payload)["body"][2]["facts"]) < 25


async def test_astral_text_is_cut_between_characters() -> None:
    payload = await payload_of("ci.build", {"text": "👍🏽" * 10_000})
    body = card_of(payload)["body"][2]["text"]
    assert body.endswith("👍🏽" + ELLIPSIS)


def card(**changes: Any) -> dict[str, Any]:
    content = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "x"}],
        **changes,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": content,
            }
        ],
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "a MessageCard"},
        {"type": "message", "attachments": []},
        {"type": "message", "attachments": [{"contentType": "text/html", "content": {}}]},
        card(type="MessageCard"),
        card(version="2.0"),
        card(body="nope"),
        card(body=[{"type": "Banner"}]),
        card(body=[{"type": "TextBlock"}]),
        card(body=[{"type": "TextBlock", "text": "x", "weight": "Heavy"}]),
        card(body=[{"type": "TextBlock", "text": "x", "wrap": "yes"}]),
        card(body=[{"type": "TextBlock", "text": "x", "html": True}]),
        card(body=[{"type": "FactSet", "facts": []}]),
        card(body=[{"type": "FactSet", "facts": [{"title": "t", "value": 3}]}]),
        card(body=[{"type": "FactSet", "facts": [{"name": "t", "value": "v"}]}]),
        card(actions=[{"type": "Action.Submit", "title": "Go"}]),
        card(actions=[{"type": "Action.OpenUrl", "url": "javascript:alert(1)"}]),
        card(unknown=True),
        card(body=[{"type": "TextBlock", "text": "x" * 30_000}]),
    ],
)
def test_the_stand_in_refuses_what_teams_cannot_post(payload: Any) -> None:
    refused = teams_service.check(received(payload))
    assert refused is not None
    assert refused.status == 400
    assert orjson.loads(refused.body)["error"]["code"] == "InvalidRequestContent"


def test_the_stand_in_takes_a_valid_card_and_wants_the_signature() -> None:
    assert teams_service.check(received(card())) is None
    unsigned = Received(
        path=teams_service.PATH,
        method="POST",
        headers={},
        body=orjson.dumps(card()),
        header_lines=(("Content-Type", "application/json"),),
    )
    refused = teams_service.check(unsigned)
    assert refused is not None
    assert refused.status == 401
    assert teams_service.violations(received(card(), content_type="text/plain"))


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_deleted_or_disabled_flow_is_permanent(status: int) -> None:
    teams = TeamsIntegration.__new__(TeamsIntegration)  # no manager needed to judge
    response = DeliveryResponse(status, {}, b'{"error": {"code": "WorkflowNotFound"}}')
    assert teams.classify_response(None, response) is Verdict.PERMANENT  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [202, 200, 429, 500, 502])
def test_the_rest_follow_the_default_rules(status: int) -> None:
    teams = TeamsIntegration.__new__(TeamsIntegration)
    assert teams.classify_response(None, DeliveryResponse(status, {}, b"")) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://prod-1.westeurope.logic.azure.com/workflows/x", "https"),
        ("https://outlook.office.com/webhook/x", "retired"),
        ("https://evil.example.com/workflows/x", "Workflows URL"),
    ],
)
def test_the_form_takes_only_workflow_urls(url: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        TeamsForm.model_validate({"name": "Teams", "webhook_url": url})


def test_the_form_takes_workflow_hosts_and_loopback() -> None:
    for url in (
        URL,
        "https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/x",
        "http://127.0.0.1:8080/workflows/x",
    ):
        form = TeamsForm.model_validate({"name": "Teams", "webhook_url": url})
        assert str(form.webhook_url).startswith(url.split(":")[0])


def test_the_metadata() -> None:
    assert TeamsIntegration.integration_id == "switchboard.msteams"
    assert TeamsIntegration.default_rate_limit == 4.0
    assert set(TeamsIntegration.icon_static_urls) == {"1x", "2x"}
    assert TeamsForm.secret_fields() == {"webhook_url"}
    assert [f.title for f in TeamsForm.layout()] == ["Basic info", "Microsoft Teams", "Messages"]
    assert "channel" not in TeamsForm.model_fields  # a Workflow posts where it was made
