"""Mattermost's payload, checked against Mattermost's documented rules
(``support.services.mattermost``), its post size, its escaping, and how its answers are
judged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from support.chat_events import SHIP_IT_REVIEW
from support.services import mattermost as mattermost_service
from support.services import posted

from switchboard.integrations import DeliveryResponse, Verdict
from switchboard.integrations.builtin.chat import ELLIPSIS
from switchboard.integrations.builtin.chat.mattermost import (
    MAX_POST_RUNES,
    PERMANENT_ERRORS,
    MattermostForm,
    MattermostIntegration,
)
from switchboard.testing import HandlerRecorder, Received

URL = "https://chat.example.com/hooks/xyz123abc456def789ghi0jk"


def received(body: bytes, content_type: str | None = "application/json") -> Received:
    return posted(mattermost_service.PATH, body, content_type)


async def payload_of(event_type: str, data: dict[str, Any], **settings: Any) -> dict[str, Any]:
    with HandlerRecorder(MattermostIntegration) as recorder:
        recorder.add_config(MattermostIntegration, settings={"webhook_url": URL, **settings})
        [sent] = await recorder.emit(event_type, data)
    assert mattermost_service.violations(received(sent.request.body)) == []
    assert mattermost_service.posts(sent.json) == 1
    payload: dict[str, Any] = sent.json
    return payload


def post_runes(attachment: dict[str, Any]) -> int:
    keys = ("fallback", "pretext", "title", "author_name", "footer", "text")
    return sum(len(attachment.get(k, "")) for k in keys) + sum(
        len(f["title"]) + len(f["value"]) for f in attachment.get("fields", [])
    )


async def test_a_review_as_an_attachment() -> None:
    payload = await payload_of(
        "review.published",
        SHIP_IT_REVIEW,
        channel="reviews",
        notify_username="Review Board",
    )
    assert (payload["channel"], payload["username"]) == ("reviews", "Review Board")
    [attachment] = payload["attachments"]
    assert attachment["fallback"] == (
        "#42: New review from alice (Ship it!): https://rb.example.com/r/42/#review7"
    )
    assert attachment["color"] == "#2eb886"
    assert attachment["pretext"] == r"New review from alice \(Ship it\!\)"
    assert (attachment["title"], attachment["title_link"]) == (
        "#42: Fix the parser",
        "https://rb.example.com/r/42/#review7",
    )
    assert (attachment["author_name"], attachment["author_link"]) == (
        "alice",
        "https://rb.example.com/users/alice/",
    )
    assert attachment["text"] == "Nice."
    assert attachment["fields"] == [{"title": "Ship it!", "value": "✅", "short": True}]
    assert attachment["footer"].startswith("review.published · ")
    assert "text" not in payload  # the attachment is the message


async def test_no_overrides_unless_set() -> None:
    payload = await payload_of("ci.build", {"title": "Build 7"})
    assert "channel" not in payload
    assert "username" not in payload


async def test_a_linked_field_is_a_markdown_link() -> None:
    payload = await payload_of(
        "ci.build",
        {"fields": [{"title": "Diff", "value": "Revision 2", "url": "https://x.example/(a)"}]},
    )
    [field] = payload["attachments"][0]["fields"]
    assert field["value"] == "[Revision 2](https://x.example/%28a%29)"


async def test_hostile_markup_and_mentions_are_defused() -> None:
    hostile = "@channel <!here> <https://evil.example.com|click> **bold** [x](https://e.example)"
    payload = await payload_of(
        "ci.build",
        {
            "title": hostile,
            "text": hostile,
            "fields": [{"title": hostile, "value": hostile}],
            "author": hostile,
        },
    )
    [attachment] = payload["attachments"]
    assert attachment["text"] == (
        "@\u200bchannel &lt;\\!here&gt; &lt;https://evil.example.com\\|click&gt; "
        "\\*\\*bold\\*\\* \\[x\\]\\(https://e.example\\)"
    )
    # Mattermost reads Markdown, Slack's links and mentions in these:
    markdown = [attachment["text"], attachment["fields"][0]["value"]]
    for control in ("<!here>", "<https://evil", "**bold**", "[x]("):
        assert all(control not in text for text in markdown)
    # Plain texts are shown as written; only mentions are defused, everywhere.
    assert attachment["title"].startswith("@\u200bchannel <!here>")
    assert "@channel" not in orjson.dumps(payload).decode()


async def test_over_long_text_stays_one_post() -> None:
    payload = await payload_of(
        "ci.build",
        {
            "title": "T" * 900,
            "text": "<" * 10_000,  # escaped, 40,000 characters
            "fields": [{"title": "f" * 300, "value": "v" * 3000} for _ in range(30)],
        },
    )
    [attachment] = payload["attachments"]
    assert len(attachment["title"]) == 500
    assert attachment["title"].endswith(ELLIPSIS)
    assert attachment["text"].endswith("&lt;" + ELLIPSIS)  # whole entities only
    assert len(attachment["text"]) <= 8000
    assert 0 < len(attachment["fields"]) < 30
    assert all(len(f["value"]) <= 2000 for f in attachment["fields"])
    assert post_runes(attachment) <= MAX_POST_RUNES


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"{}", "application/json", "web.incoming_webhook.text.app_error"),
        (b'{"text": ""}', "application/json", "web.incoming_webhook.text.app_error"),
        (b"nope", "application/json", "web.incoming_webhook.parse.app_error"),
        (b"[1]", "application/json", "web.incoming_webhook.parse.app_error"),
        (b'{"text": "x"}', "text/plain", "web.incoming_webhook.parse.app_error"),
        (
            b'{"text": "x", "channel": 7}',
            "application/json",
            "web.incoming_webhook.parse.app_error",
        ),
        (b'{"text": "x", "type": "system_join"}', None, "api.context.invalid_param.app_error"),
        (b'{"attachments": "x"}', None, "web.incoming_webhook.parse.app_error"),
        (b'{"attachments": [1]}', None, "web.incoming_webhook.parse.app_error"),
        (b'{"attachments": [{"title": 1}]}', None, "web.incoming_webhook.parse.app_error"),
        (
            b'{"attachments": [{"fields": [{"title": "t"}]}]}',
            None,
            "web.incoming_webhook.parse.app_error",
        ),
        (b'{"attachments": [{"fields": {}}]}', None, "web.incoming_webhook.parse.app_error"),
        (b'{"text": "x", "props": []}', None, "web.incoming_webhook.parse.app_error"),
        (
            orjson.dumps({"text": "x", "props": {"card": "c" * 400_001}}),
            None,
            "web.incoming_webhook.split_props_length.app_error",
        ),
    ],
)
def test_the_stand_in_refuses_what_mattermost_refuses(
    body: bytes, content_type: str | None, error: str
) -> None:
    refused = mattermost_service.check(received(body, content_type))
    assert refused is not None
    assert orjson.loads(refused.body)["id"] == error
    assert refused.status == 400


def test_the_stand_in_takes_a_form_payload_and_counts_posts() -> None:
    form = b"payload=%7B%22text%22%3A%20%22hi%22%7D"
    assert mattermost_service.check(received(form, "application/x-www-form-urlencoded")) is None
    assert mattermost_service.posts({"text": "x" * (MAX_POST_RUNES + 1)}) == 2
    assert mattermost_service.posts({"attachments": [{"text": "x" * 400_000}]}) == 2


@pytest.mark.parametrize("error", sorted(PERMANENT_ERRORS))
def test_a_deleted_or_refusing_webhook_is_permanent(error: str) -> None:
    mattermost = MattermostIntegration.__new__(MattermostIntegration)
    answer = mattermost_service.answer(error)
    response = DeliveryResponse(answer.status, answer.headers, answer.body)
    assert mattermost.classify_response(None, response) is Verdict.PERMANENT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"ok"),
        (429, b'{"id": "api.context.rate_limited", "message": "slow down"}'),
        (500, b'{"id": "app.post.save.app_error"}'),
        (502, b"<html>Bad Gateway</html>"),
        (503, b"[]"),
    ],
)
def test_the_rest_follow_the_default_rules(status: int, body: bytes) -> None:
    mattermost = MattermostIntegration.__new__(MattermostIntegration)
    verdict = mattermost.classify_response(None, DeliveryResponse(status, {}, body))  # type: ignore[arg-type]
    assert verdict is None


@pytest.mark.parametrize(
    "url",
    [
        "https://chat.example.com/",
        "https://chat.example.com/hooks/",
        "https://chat.example.com/api/v4/posts",
        "https://chat.example.com/hooks/abc-def",
        "http://chat.example.com/hooks/abc",
    ],
)
def test_the_form_wants_an_incoming_webhook_url(url: str) -> None:
    with pytest.raises(ValidationError):
        MattermostForm.model_validate({"name": "chat", "webhook_url": url})


def test_the_form_takes_a_subpath_install() -> None:
    form = MattermostForm.model_validate(
        {"name": "chat", "webhook_url": "https://example.com/mm/hooks/abc123"}
    )
    assert str(form.webhook_url).endswith("/mm/hooks/abc123")


def test_the_metadata() -> None:
    assert MattermostIntegration.integration_id == "switchboard.mattermost"
    assert set(MattermostIntegration.icon_static_urls) == {"1x", "2x"}
    assert MattermostForm.secret_fields() == {"webhook_url"}
    assert [f.title for f in MattermostForm.layout()] == ["Basic info", "Mattermost", "Messages"]
