"""Slack's payload, checked against Slack's documented rules (``support.services.slack``),
its limits, its escaping, and how Slack's answers are judged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from support.chat_events import SHIP_IT_REVIEW
from support.services import posted
from support.services import slack as slack_service

from switchboard.integrations import DeliveryResponse, Verdict
from switchboard.integrations.builtin.chat import ELLIPSIS
from switchboard.integrations.builtin.chat.slack import (
    PERMANENT_ERRORS,
    SlackForm,
    SlackIntegration,
)
from switchboard.testing import HandlerRecorder, Received

URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


def received(payload: Any, content_type: str = "application/json") -> Received:
    return posted(slack_service.PATH, orjson.dumps(payload), content_type)


async def payload_of(event_type: str, data: dict[str, Any], **settings: Any) -> dict[str, Any]:
    with HandlerRecorder(SlackIntegration) as recorder:
        recorder.add_config(SlackIntegration, settings={"webhook_url": URL, **settings})
        [sent] = await recorder.emit(event_type, data)
    assert slack_service.violations(received(sent.json)) == []
    payload: dict[str, Any] = sent.json
    return payload


async def test_a_review_as_block_kit_with_a_fallback() -> None:
    payload = await payload_of(
        "review.published",
        SHIP_IT_REVIEW,
        channel="#reviews",
        notify_username="Review Board",
    )
    assert (
        payload["text"]
        == "#42: New review from alice (Ship it!): https://rb.example.com/r/42/#review7"
    )
    assert (payload["channel"], payload["username"]) == ("#reviews", "Review Board")
    header, summary, body, fields, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "#42: Fix the parser", "emoji": True},
    }
    assert (
        summary["text"]["text"]
        == "<https://rb.example.com/r/42/#review7|New review from alice (Ship it!)>"
    )
    assert body["text"] == {"type": "mrkdwn", "text": "Nice.", "verbatim": True}
    assert fields["fields"] == [{"type": "mrkdwn", "text": "*Ship it!*\n✅", "verbatim": True}]
    author, date, event_type = context["elements"]
    assert author["text"] == "<https://rb.example.com/users/alice/|alice>"
    assert date["text"].startswith("<!date^")
    assert event_type["text"] == "review.published"


async def test_no_overrides_unless_set() -> None:
    payload = await payload_of("ci.build", {"title": "Build 7"})
    assert "channel" not in payload
    assert "username" not in payload


async def test_hostile_markup_is_escaped_everywhere() -> None:
    hostile = "<!everyone> <https://evil.example.com|click> & <@U123>"
    payload = await payload_of(
        "ci.build",
        {
            "title": hostile,
            "text": hostile,
            "url": "https://ci.example.com/x|<!channel>",
            "fields": [{"title": hostile, "value": hostile}],
            "author": hostile,
        },
    )
    text = orjson.dumps(payload["blocks"]).decode() + payload["text"]
    for control in ("<!everyone>", "<!channel>", "<https://evil", "<@U123>"):
        assert control not in text
    assert payload["blocks"][2]["text"]["text"] == (
        "&lt;!everyone&gt; &lt;https://evil.example.com|click&gt; &amp; &lt;@U123&gt;"
    )
    # The URL's own | and < were percent-encoded: the link cannot be split or re-aimed.
    assert payload["blocks"][1]["text"]["text"].startswith(
        "<https://ci.example.com/x%7C%3C!channel%3E|"
    )
    assert all(t.get("verbatim") is True for t in [payload["blocks"][2]["text"]])


async def test_over_long_text_is_cut_to_slacks_limits() -> None:
    payload = await payload_of(
        "ci.build",
        {
            "title": "T" * 500,
            "text": "&" * 5000,  # escaped, 25,000 characters
            "fields": [{"title": f"f{i}" * 300, "value": "v" * 3000} for i in range(50)],
        },
    )
    blocks = payload["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150
    assert blocks[0]["text"]["text"].endswith(ELLIPSIS)
    body = blocks[2]["text"]["text"]
    assert len(body) <= 3000
    assert body.endswith("&amp;" + ELLIPSIS)  # whole entities only
    sections = [b for b in blocks if "fields" in b]
    assert [len(b["fields"]) for b in sections] == [10] * 5
    assert all(len(f["text"]) <= 2000 for b in sections for f in b["fields"])


async def test_more_than_50_blocks_are_never_sent() -> None:
    payload = await payload_of(
        "ci.build", {"text": "x", "fields": [{"title": "t", "value": "v"}] * 50}
    )
    assert len(payload["blocks"]) <= 50
    assert payload["blocks"][-1]["type"] == "context"


async def test_astral_text_fits_in_utf16_units() -> None:
    payload = await payload_of("ci.build", {"text": "😀" * 3000})
    body = payload["blocks"][2]["text"]["text"]
    assert len(body.encode("utf-16-le")) // 2 <= 3000


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({}, "missing_text_or_fallback_or_attachments"),
        ({"text": ""}, "no_text"),
        ({"text": "x", "blocks": [{"type": "banner"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        (
            {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
            "invalid_blocks",
        ),
        (
            {
                "text": "x",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "invalid_blocks",
        ),
        (
            {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]},
            "invalid_blocks",
        ),
        (
            {
                "text": "x",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}],
            },
            "invalid_blocks",
        ),
        (
            {
                "text": "x",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}] * 11}],
            },
            "invalid_blocks",
        ),
        (
            {
                "text": "x",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "a", "emoji": True}}
                ],
            },
            "invalid_blocks",
        ),
        ({"text": "x", "blocks": [{"type": "section"}]}, "invalid_blocks"),
        ({"text": "x", "blocks": [{"type": "context", "elements": []}]}, "invalid_blocks"),
        ({"text": "x", "blocks": "nope"}, "invalid_blocks_format"),
        ([1, 2], "invalid_payload"),
    ],
)
def test_the_stand_in_refuses_what_slack_refuses(payload: Any, error: str) -> None:
    refused = slack_service.check(received(payload))
    assert refused is not None
    assert (refused.status, refused.body.decode()) == (400, error)


def test_the_stand_in_wants_json() -> None:
    refused = slack_service.check(received({"text": "x"}, content_type="text/plain"))
    assert refused is not None
    assert refused.body == b"invalid_payload"


@pytest.mark.parametrize("error", sorted(PERMANENT_ERRORS))
def test_a_revoked_or_refusing_webhook_is_permanent(error: str) -> None:
    slack = SlackIntegration.__new__(SlackIntegration)  # no manager needed to judge
    response = DeliveryResponse(404, {}, error.encode() + b"\n")
    assert slack.classify_response(None, response) is Verdict.PERMANENT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "body"), [(200, b"ok"), (429, b"rate_limited"), (500, b"rollup_error"), (503, b"")]
)
def test_the_rest_follow_the_default_rules(status: int, body: bytes) -> None:
    slack = SlackIntegration.__new__(SlackIntegration)
    assert slack.classify_response(None, DeliveryResponse(status, {}, body)) is None  # type: ignore[arg-type]


def test_the_metadata() -> None:
    assert SlackIntegration.integration_id == "switchboard.slack"
    assert SlackIntegration.default_rate_limit == 1.0
    assert set(SlackIntegration.icon_static_urls) == {"1x", "2x"}
    assert SlackForm.secret_fields() == {"webhook_url"}
    assert [f.title for f in SlackForm.layout()] == ["Basic info", "Slack", "Messages"]
