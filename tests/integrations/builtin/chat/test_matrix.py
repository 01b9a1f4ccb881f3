"""Matrix's m.room.message, checked against the spec's rules (``support.services.matrix``),
its size limit, its HTML escaping, the transaction id, and how errors are judged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from support.chat_events import SHORT_RR as RR
from support.services import matrix as matrix_service

from switchboard.integrations import DeliveryRequest, DeliveryResponse, Verdict
from switchboard.integrations.builtin.chat import ELLIPSIS
from switchboard.integrations.builtin.chat.matrix import (
    MAX_CONTENT_BYTES,
    PERMANENT_ERRORS,
    MatrixForm,
    MatrixIntegration,
)
from switchboard.testing import HandlerRecorder

SERVER = "https://matrix.example.org"
SETTINGS = {"server": SERVER, "room_id": matrix_service.ROOM_ID, "access_token": "tok"}
SEND = f"{SERVER}/_matrix/client/v3/rooms/%21ops6R2xpT%3Aexample.org/send/m.room.message/"


async def sent_of(event_type: str, data: dict[str, Any], **settings: Any) -> Any:
    with HandlerRecorder(MatrixIntegration) as recorder:
        recorder.add_config(MatrixIntegration, settings={**SETTINGS, **settings})
        [sent] = await recorder.emit(event_type, data)
    assert matrix_service.content_violations("m.room.message", sent.json) == []
    return sent


async def content_of(event_type: str, data: dict[str, Any], **settings: Any) -> dict[str, Any]:
    content: dict[str, Any] = (await sent_of(event_type, data, **settings)).json
    return content


async def test_a_put_to_the_room_with_the_delivery_id_as_the_transaction() -> None:
    sent = await sent_of("ci.build", {"title": "Build 7"})
    assert sent.request.method == "PUT"
    assert sent.request.url == SEND + sent.result.delivery_id
    assert sent.request.headers["Authorization"] == "Bearer tok"
    assert "tok" not in sent.request.url


async def test_a_review_as_html_with_a_plain_body() -> None:
    content = await content_of(
        "review.published",
        {
            "review_request": RR,
            "user": {"username": "alice", "url": "https://rb.example.com/users/alice/"},
            "review": {
                "ship_it": True,
                "url": "https://rb.example.com/r/42/#review7",
                "body_top": "Nice.\nReally.",
            },
        },
        msgtype="m.text",
    )
    assert (content["msgtype"], content["format"], content["m.mentions"]) == (
        "m.text",
        "org.matrix.custom.html",
        {},
    )
    link = '<a href="https://rb.example.com/r/42/#review7">'
    assert content["formatted_body"].startswith(
        f"<p><strong>{link}#42: Fix the parser</a></strong></p>"
        f"<p>{link}New review from alice (Ship it!)</a></p>"
        "<blockquote>Nice.<br>Really.</blockquote>"
        "<ul><li><strong>Ship it!</strong>: ✅</li></ul>"
        '<p><em><a href="https://rb.example.com/users/alice/">alice</a> · '
    )
    assert content["body"].startswith(
        "#42: Fix the parser\n\n"
        "#42: New review from alice (Ship it!): https://rb.example.com/r/42/#review7\n\n"
        "Nice.\nReally.\n\nShip it!: ✅\n\nalice · "
    )


async def test_hostile_markup_is_escaped_everywhere() -> None:
    hostile = '<a href="https://evil.example.com">click</a><img src=x onerror=alert(1)> @room &'
    content = await content_of(
        "ci.build",
        {
            "title": hostile,
            "text": hostile,
            "url": 'https://ci.example.com/"><script>',
            "fields": [{"title": hostile, "value": hostile}],
            "author": hostile,
        },
    )
    html = content["formatted_body"]
    assert matrix_service.html_violations(html) == []
    for markup in ('evil.example.com"', "<img", "<script"):
        assert markup not in html
    assert "&lt;a href=&quot;https://evil.example.com&quot;&gt;click&lt;/a&gt;" in html
    assert 'href="https://ci.example.com/%22%3E%3Cscript%3E"' in html
    assert content["m.mentions"] == {}  # @room in the plain body mentions no one


async def test_over_long_text_keeps_the_event_under_64_kib() -> None:
    content = await content_of(
        "ci.build",
        {
            "title": "T" * 1000,
            "text": "<" * 100_000,  # &lt; in HTML: four bytes each
            "fields": [{"title": "f" * 300, "value": "&" * 5000}] * 60,
        },
    )
    assert len(orjson.dumps(content)) <= MAX_CONTENT_BYTES
    html = content["formatted_body"]
    assert "&lt;" + ELLIPSIS + "</blockquote>" in html  # whole entities only
    assert "&amp;" + ELLIPSIS + "</li>" in html
    assert content["body"].split("\n\n")[0].endswith(ELLIPSIS)


async def test_astral_text_is_cut_between_characters() -> None:
    content = await content_of("ci.build", {"text": "👍🏽" * 30_000})
    assert "👍🏽" + ELLIPSIS + "</blockquote>" in content["formatted_body"]


def test_a_retry_keeps_its_transaction_and_follows_the_settings() -> None:
    matrix = MatrixIntegration.__new__(MatrixIntegration)
    first = DeliveryRequest(SEND + "dlv_abc", b"{}", method="PUT", headers={}, key="k")

    class Config:
        def get(self, name: str) -> Any:
            new = {"server": "https://new.example.org/", "access_token": "new-token"}
            return {**SETTINGS, **new}.get(name)

    retry = matrix.refresh_request(Config(), first)  # type: ignore[arg-type]
    assert retry.url == (
        "https://new.example.org/_matrix/client/v3/rooms/%21ops6R2xpT%3Aexample.org"
        "/send/m.room.message/dlv_abc"
    )
    assert (retry.method, retry.key, retry.body) == ("PUT", "k", b"{}")
    assert retry.headers["Authorization"] == "Bearer new-token"


@pytest.mark.parametrize("errcode", sorted(PERMANENT_ERRORS))
def test_a_revoked_token_or_a_closed_room_is_permanent(errcode: str) -> None:
    matrix = MatrixIntegration.__new__(MatrixIntegration)
    response = DeliveryResponse(403, {}, orjson.dumps({"errcode": errcode, "error": "no"}))
    assert matrix.classify_response(None, response) is Verdict.PERMANENT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b'{"event_id": "$e"}'),
        (429, b'{"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2000}'),
        (500, b'{"errcode": "M_UNKNOWN", "error": "oops"}'),
        (502, b"<html>bad gateway</html>"),
        (400, b"[]"),
    ],
)
def test_the_rest_follow_the_default_rules(status: int, body: bytes) -> None:
    matrix = MatrixIntegration.__new__(MatrixIntegration)
    assert matrix.classify_response(None, DeliveryResponse(status, {}, body)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "body", "wait"),
    [
        (429, b'{"errcode": "M_LIMIT_EXCEEDED", "error": "slow", "retry_after_ms": 2500}', 2.5),
        (429, b'{"errcode": "M_LIMIT_EXCEEDED", "error": "slow"}', None),
        (429, b'{"retry_after_ms": "soon"}', None),
        (429, b'{"retry_after_ms": -1}', None),
        (429, b"not json", None),
        (500, b'{"retry_after_ms": 2500}', None),
    ],
)
def test_retry_after_ms_is_the_wait(status: int, body: bytes, wait: float | None) -> None:
    matrix = MatrixIntegration.__new__(MatrixIntegration)
    assert matrix.retry_after(None, DeliveryResponse(status, {}, body)) == wait  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"room_id": "#ops:example.org"}, "room alias"),
        ({"room_id": "ops"}, "room ID"),
        ({"server": "http://matrix.example.org"}, "https"),
        ({"server": "https://matrix.example.org/?access_token=x"}, "query"),
        ({"msgtype": "m.emote"}, "m.notice"),
        ({"access_token": ""}, None),
    ],
)
def test_the_form_refuses_what_cannot_work(changes: dict[str, Any], why: str | None) -> None:
    settings = {"name": "ops", **SETTINGS, **changes}
    if why is None:
        MatrixForm.model_validate(settings)  # an empty token is the homeserver's to refuse
        return
    with pytest.raises(ValidationError, match=why):
        MatrixForm.model_validate(settings)


def test_the_stand_in_checks_content_and_html() -> None:
    ok = {"msgtype": "m.notice", "body": "x"}
    assert matrix_service.content_violations("m.room.message", ok) == []
    assert matrix_service.content_violations("m.room.message", {"body": "x"})
    assert matrix_service.content_violations(
        "m.room.message", {**ok, "format": "org.matrix.custom.html"}
    )
    assert matrix_service.content_violations("m.room.message", {**ok, "format": "markdown"})
    assert matrix_service.content_violations("m.reaction", ok)
    assert matrix_service.content_violations("m.room.message", [])
    assert matrix_service.html_violations('<p onclick="x">a</p><script>b</script>') == [
        "p onclick",
        "script",
    ]
    assert matrix_service.html_violations('<a href="javascript:alert(1)">a</a>') == ["a href"]


def test_the_metadata() -> None:
    assert MatrixIntegration.integration_id == "switchboard.matrix"
    assert set(MatrixIntegration.icon_static_urls) == {"1x", "2x"}
    assert MatrixForm.secret_fields() == {"access_token"}
    assert [f.title for f in MatrixForm.layout()] == ["Basic info", "Matrix", "Messages"]
