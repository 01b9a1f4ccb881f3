"""The neutral message record, and the URLs and colours it accepts from events."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from switchboard.integrations.builtin.chat.message import (
    DEFAULT_COLOUR,
    MAX_URL_CHARS,
    ChatMessage,
    safe_colour,
    safe_url,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_message_is_frozen_and_made_by_keyword() -> None:
    message = ChatMessage(event_type="a.b", title="t", summary="s", fallback="f", timestamp=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.title = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ChatMessage("a.b", "t", "s", "f", NOW)  # type: ignore[misc]


def test_a_message_always_has_a_title() -> None:
    with pytest.raises(ValueError, match="title"):
        ChatMessage(event_type="a.b", title=" ", summary="s", fallback="f", timestamp=NOW)


@pytest.mark.parametrize(
    "url",
    [
        "https://rb.example.com/r/42/",
        "http://ci.example.com:8080/build?id=7&tab=log#end",
        "https://example.com/a%20b",
    ],
)
def test_http_urls_pass_as_they_are(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.com/file",
        "https://",
        "/relative/path",
        "https://example.com/\nline",
        "https://[::1",
        "https://example.com/" + "a" * MAX_URL_CHARS,
        42,
        None,
    ],
)
def test_anything_else_is_no_link(url: object) -> None:
    assert safe_url(url) is None


def test_characters_that_end_a_link_in_markup_are_encoded() -> None:
    url = safe_url('https://evil.example.com/x|<!everyone> "y"')
    assert url == "https://evil.example.com/x%7C%3C!everyone%3E%20%22y%22"


@pytest.mark.parametrize(
    ("value", "colour"),
    [("#D00000", "#d00000"), ("2eb886", "#2eb886"), ("red", DEFAULT_COLOUR), (7, DEFAULT_COLOUR)],
)
def test_colours_are_hex_or_the_default(value: object, colour: str) -> None:
    assert safe_colour(value) == colour
