"""Discord's payload, checked against Discord's documented rules
(``support.services.discord``), its limits, its escaping, its mentions, and how its
answers are judged (429's ``retry_after`` included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from support.chat_events import SHIP_IT_REVIEW
from support.services import discord as discord_service
from support.services import posted

from switchboard.integrations import DeliveryResponse, Verdict
from switchboard.integrations.builtin.chat import ELLIPSIS, ChatField, ChatMessage
from switchboard.integrations.builtin.chat.discord import (
    MAX_TOTAL,
    PERMANENT_CODES,
    DiscordForm,
    DiscordIntegration,
    discord_payload,
    webhook_endpoint,
)
from switchboard.testing import Answer, HandlerRecorder, Received

URL = "https://discord.com/api/webhooks/1234567890123456789/tok_EN-abc123"


def received(payload: Any, content_type: str = "application/json") -> Received:
    return posted(discord_service.PATH, orjson.dumps(payload), content_type)


async def sent_for(event_type: str, data: dict[str, Any], **settings: Any) -> Any:
    with HandlerRecorder(DiscordIntegration) as recorder:
        recorder.add_config(DiscordIntegration, settings={"webhook_url": URL, **settings})
        [sent] = await recorder.emit(event_type, data)
    assert discord_service.violations(received(sent.json)) == []
    return sent


async def embed_of(event_type: str, data: dict[str, Any], **settings: Any) -> dict[str, Any]:
    sent = await sent_for(event_type, data, **settings)
    [embed] = sent.json["embeds"]
    assert sent.json["allowed_mentions"] == {"parse": []}
    result: dict[str, Any] = embed
    return result


def embed_size(embed: dict[str, Any]) -> int:
    texts = [embed.get("title", ""), embed.get("description", ""), embed["footer"]["text"]]
    texts += [embed["author"]["name"]] if "author" in embed else []
    texts += [t for f in embed.get("fields", []) for t in (f["name"], f["value"])]
    return sum(len(t.encode("utf-16-le")) // 2 for t in texts)


async def test_a_review_as_an_embed_posted_with_wait() -> None:
    sent = await sent_for(
        "review.published",
        SHIP_IT_REVIEW,
        notify_username="Review Board",
    )
    assert sent.request.url == URL + "?wait=true"
    assert sent.json["username"] == "Review Board"
    assert "content" not in sent.json
    [embed] = sent.json["embeds"]
    assert embed["title"] == "#42: Fix the parser"  # no heading: Discord shows it as is
    assert embed["url"] == "https://rb.example.com/r/42/#review7"
    assert embed["color"] == 0x2EB886
    assert embed["description"] == "**New review from alice \\(Ship it!\\)**\n\nNice."
    assert embed["author"] == {"name": "alice", "url": "https://rb.example.com/users/alice/"}
    assert embed["fields"] == [{"name": "Ship it!", "value": "✅", "inline": True}]
    assert embed["footer"] == {"text": "review.published"}
    assert embed["timestamp"].endswith("+00:00")


async def test_no_username_unless_set() -> None:
    sent = await sent_for("ci.build", {"title": "Build 7"})
    assert "username" not in sent.json


async def test_a_title_that_would_be_a_heading_or_a_list_is_escaped_at_its_start() -> None:
    for start in ("# ", "## ", "- ", "> ", ">>> ", "-# "):
        embed = await embed_of("ci.build", {"title": start + "Big"})
        assert embed["title"] == "\\" + start + "Big"


async def test_a_title_starting_with_a_hash_but_no_heading_is_left_as_it_is() -> None:
    embed = await embed_of("ci.build", {"title": "#general is quiet"})
    assert embed["title"] == "#general is quiet"


async def test_hostile_markup_is_escaped_and_mentions_never_ping() -> None:
    hostile = "@everyone <@123> ||spoiler|| **bold** [x](https://evil.example.com) # H"
    embed = await embed_of(
        "ci.build",
        {
            "title": hostile,
            "text": "> quote\n- list\n" + hostile,
            "fields": [{"title": hostile, "value": hostile}],
        },
    )
    escaped = (
        r"\@everyone \<\@123\> \|\|spoiler\|\| \*\*bold\*\* "
        r"\[x\]\(https://evil.example.com\) \# H"
    )
    # The title shows no links, mentions or lists: only its emphasis is escaped.
    assert embed["title"] == (
        r"@everyone <@123> \|\|spoiler\|\| \*\*bold\*\* [x](https://evil.example.com) # H"
    )
    assert embed["description"].endswith("\n\n\\> quote\n\\- list\n" + escaped)
    assert embed["fields"] == [{"name": escaped, "value": escaped, "inline": False}]


async def test_a_linked_field_is_a_masked_link() -> None:
    embed = await embed_of(
        "ci.build",
        {"fields": [{"title": "Diff", "value": "Revision 2", "url": "https://x.example/(a)"}]},
    )
    assert embed["fields"][0]["value"] == "[Revision 2](https://x.example/%28a%29)"


async def test_over_long_text_is_cut_to_discords_limits() -> None:
    embed = await embed_of(
        "ci.build",
        {
            "title": "T" * 500,
            "text": "*" * 5000,  # escaped, 10,000
            "fields": [{"title": "n" * 300, "value": "v" * 2000} for _ in range(40)],
            "author": "a" * 300,
        },
    )
    assert len(embed["title"]) == 256
    assert embed["title"].endswith(ELLIPSIS)
    assert len(embed["author"]["name"]) == 256
    assert len(embed["description"]) <= 4096
    assert embed["description"].endswith("\\*" + ELLIPSIS)  # never a lone backslash
    assert 0 < len(embed["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
    assert embed_size(embed) <= MAX_TOTAL


async def test_25_fields_at_most() -> None:
    embed = await embed_of("ci.build", {"fields": [{"title": "t", "value": "v"}] * 30})
    assert len(embed["fields"]) == 25


def test_blank_names_and_values_are_shown_as_a_dash() -> None:
    message = ChatMessage(
        event_type="ci.build",
        title="t",
        summary="s",
        fallback="f",
        timestamp=datetime.now(UTC),
        fields=(ChatField(title=" ", value=" \n"),),
    )
    payload = discord_payload(message, username=None)
    assert payload["embeds"][0]["fields"] == [{"name": "—", "value": "—", "inline": False}]
    assert discord_service.violations(received(payload)) == []


async def test_astral_text_fits_in_utf16_units() -> None:
    embed = await embed_of("ci.build", {"title": "😀" * 300, "text": "😀" * 3000})
    assert len(embed["title"].encode("utf-16-le")) // 2 <= 256
    assert embed_size(embed) <= MAX_TOTAL


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, 50006),
        ({"content": ""}, 50006),
        ({"content": "x" * 2001}, 50035),
        ({"content": "x", "username": "My Discord bot"}, 50035),
        ({"content": "x", "username": "Clyde"}, 50035),
        ({"content": "x", "username": ""}, 50035),
        ({"content": "x", "allowed_mentions": {"parse": ["all"]}}, 50035),
        ({"embeds": [{"title": "t"}] * 11}, 50035),
        ({"embeds": [{"title": "t" * 257}]}, 50035),
        ({"embeds": [{"description": "d" * 4097}]}, 50035),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, 50035),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, 50035),
        ({"embeds": [{"fields": [{"name": "n", "value": " "}]}]}, 50035),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, 50035),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, 50035),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, 50035),
        ({"embeds": [{"title": "t", "color": -1}]}, 50035),
        ({"embeds": [{"title": "t", "timestamp": "yesterday"}]}, 50035),
        ({"embeds": [{"title": "t", "url": "javascript:alert(1)"}]}, 50035),
        ([1], 50035),
    ],
)
def test_the_stand_in_refuses_what_discord_refuses(payload: Any, code: int) -> None:
    refused = discord_service.check(received(payload))
    assert refused is not None
    assert refused.status == 400
    assert orjson.loads(refused.body)["code"] == code


def test_the_stand_in_nests_errors_by_path_and_wants_json() -> None:
    refused = discord_service.check(received({"embeds": [{"title": "t" * 257}]}))
    assert refused is not None
    [error] = orjson.loads(refused.body)["errors"]["embeds"]["0"]["title"]["_errors"]
    assert error["code"] == "BASE_TYPE_MAX_LENGTH"
    assert discord_service.check(received({"content": "x"}, content_type="text/plain"))


@pytest.mark.parametrize("code", sorted(PERMANENT_CODES))
def test_a_deleted_or_refused_webhook_is_permanent(code: int) -> None:
    discord = DiscordIntegration.__new__(DiscordIntegration)
    answer = discord_service.answer(400, code, "refused")
    response = DeliveryResponse(answer.status, answer.headers, answer.body)
    assert discord.classify_response(None, response) is Verdict.PERMANENT  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [401, 404])
def test_401_and_404_are_permanent_whatever_the_body(status: int) -> None:
    discord = DiscordIntegration.__new__(DiscordIntegration)
    verdict = discord.classify_response(None, DeliveryResponse(status, {}, b"<html>"))  # type: ignore[arg-type]
    assert verdict is Verdict.PERMANENT


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"{}"), (204, b""), (429, b'{"code": 50035}'), (500, b"{}"), (502, b"<html>")],
)
def test_the_rest_follow_the_default_rules(status: int, body: bytes) -> None:
    discord = DiscordIntegration.__new__(DiscordIntegration)
    assert discord.classify_response(None, DeliveryResponse(status, {}, body)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "seconds"),
    [
        (discord_service.rate_limited(64.57), 64.57),
        (discord_service.rate_limited(3.5, header=False), 3.5),
        (
            Answer(429, {"X-RateLimit-Reset-After": "2.250"}, b"<html>"),
            2.25,
        ),
        (Answer(429, {}, b'{"retry_after": "soon"}'), None),
        (Answer(429, {"X-RateLimit-Reset-After": "nan"}, b""), None),
        (Answer(503, {"X-RateLimit-Reset-After": "9"}, b""), None),
    ],
)
def test_retry_after_reads_discords_body_then_its_header(
    answer: Answer, seconds: float | None
) -> None:
    discord = DiscordIntegration.__new__(DiscordIntegration)
    response = DeliveryResponse(answer.status, answer.headers, answer.body)
    assert discord.retry_after(None, response) == seconds  # type: ignore[arg-type]


def test_wait_is_added_to_whatever_query_the_url_has() -> None:
    assert webhook_endpoint(URL + "?thread_id=7&wait=false") == URL + "?thread_id=7&wait=true"


def form(**settings: Any) -> DiscordForm:
    return DiscordForm.model_validate({"name": "chat", "webhook_url": URL, **settings})


@pytest.mark.parametrize(
    "url",
    [
        URL + "/slack",
        URL + "/github",
        "https://discord.com/api/channels/1/messages",
        "https://example.com/api/webhooks/1/abc",
        "http://discord.com/api/webhooks/1/abc",
    ],
)
def test_the_form_wants_a_native_webhook_url(url: str) -> None:
    with pytest.raises(ValidationError):
        form(webhook_url=url)


@pytest.mark.parametrize(
    "name", ["Discord Bot", "clyde", "Review @Board", "RB#1", "a:b", "everyone", "x" * 81]
)
def test_the_form_refuses_a_name_discord_refuses(name: str) -> None:
    with pytest.raises(ValidationError):
        form(notify_username=name)


def test_the_form_takes_good_settings_and_refuses_a_channel() -> None:
    good = form(
        webhook_url="https://discord.com/api/v10/webhooks/1/abc", notify_username="  Review  Board "
    )
    assert good.notify_username == "Review Board"
    assert form(notify_username=" ").notify_username is None
    with pytest.raises(ValidationError, match="own channel"):
        form(channel="#general")


def test_the_metadata() -> None:
    assert DiscordIntegration.integration_id == "switchboard.discord"
    assert set(DiscordIntegration.icon_static_urls) == {"1x", "2x"}
    assert DiscordForm.secret_fields() == {"webhook_url"}
    assert [f.title for f in DiscordForm.layout()] == ["Basic info", "Discord", "Messages"]
