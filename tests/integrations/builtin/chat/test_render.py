"""Every event renders: Review Board's as rbintegrations words them, others from their
conventional keys, and anything else as its type and a compact view of its data."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.integrations import Event
from switchboard.integrations.builtin.chat import (
    DEFAULT_COLOUR,
    GOOD_COLOUR,
    REVIEW_BOARD_EVENTS,
    WARNING_COLOUR,
    ChatAuthor,
    ChatField,
    render_event,
)
from switchboard.integrations.builtin.chat.generic import MAX_COMPACT_KEYS

RR = {
    "id": 42,
    "summary": "Fix the parser",
    "url": "https://rb.example.com/r/42/",
    "description": "It crashed on empty input.",
    "repository": "backend",
    "branch": "main",
    "diff": {"revision": 3, "url": "https://rb.example.com/r/42/diff/3/"},
}
ALICE = {
    "username": "alice",
    "fullname": "Alice Liddell",
    "url": "https://rb.example.com/users/alice/",
}
REVIEW_URL = "https://rb.example.com/r/42/#review7"


def event(type_: str, **data: Any) -> Event:
    return Event(type=type_, data=data)


def test_a_new_review_request() -> None:
    message = render_event(event("review_request.published", review_request=RR, user=ALICE))
    assert message.title == "#42: Fix the parser"
    assert message.url == RR["url"]
    assert message.summary == "New review request from Alice Liddell"
    assert (
        message.fallback
        == "#42: New review request from Alice Liddell: https://rb.example.com/r/42/"
    )
    assert message.text is None
    assert message.fields == (
        ChatField(title="Description", value="It crashed on empty input."),
        ChatField(title="Diff", value="Revision 3", short=True, url=RR["diff"]["url"]),
        ChatField(title="Repository", value="backend", short=True),
        ChatField(title="Branch", value="main", short=True),
    )
    assert message.colour == DEFAULT_COLOUR
    assert message.author == ChatAuthor(name="Alice Liddell", url=ALICE["url"])


def test_an_update_shows_its_change_description_and_no_description_field() -> None:
    message = render_event(
        event(
            "review_request.published", review_request=RR, user="bob", change_description="Rebased."
        )
    )
    assert message.summary == "New update from bob"
    assert message.text == "Rebased."
    assert [f.title for f in message.fields] == ["Diff", "Repository", "Branch"]


@pytest.mark.parametrize(
    ("close_type", "summary"),
    [("submitted", "Closed as completed by alice"), ("discarded", "Discarded by alice")],
)
def test_closed(close_type: str, summary: str) -> None:
    message = render_event(
        event(
            "review_request.closed",
            review_request=RR,
            user="alice",
            close_type=close_type,
            close_description="Merged in 1a2b3c.",
        )
    )
    assert (message.summary, message.text) == (summary, "Merged in 1a2b3c.")


def test_reopened_shows_the_description() -> None:
    message = render_event(event("review_request.reopened", review_request=RR, user="alice"))
    assert (message.summary, message.text) == ("Reopened by alice", RR["description"])


@pytest.mark.parametrize(
    ("review", "suffix", "field", "colour"),
    [
        (
            {"ship_it": True, "open_issues": 2},
            " (Fix it, then Ship it!)",
            ChatField(title="Fix it, then Ship it!", value="⚠️ 2 issues", short=True),
            WARNING_COLOUR,
        ),
        (
            {"ship_it": True},
            " (Ship it!)",
            ChatField(title="Ship it!", value="✅", short=True),
            GOOD_COLOUR,
        ),
        (
            {"open_issues": 1},
            " (1 issue)",
            ChatField(title="Open Issues", value="⚠️ 1 issue", short=True),
            WARNING_COLOUR,
        ),
        ({}, "", None, DEFAULT_COLOUR),
    ],
)
def test_a_review(
    review: dict[str, Any], suffix: str, field: ChatField | None, colour: str
) -> None:
    message = render_event(
        event(
            "review.published",
            review_request=RR,
            user="carol",
            review={**review, "url": REVIEW_URL, "body_top": "Looks good."},
        )
    )
    assert message.url == REVIEW_URL
    assert message.summary == "New review from carol" + suffix
    assert message.fallback == f"#42: New review from carol{suffix}: {REVIEW_URL}"
    assert message.fields == ((field,) if field else ())
    assert message.colour == colour
    assert message.text == "Looks good."


def test_a_ship_it_reviews_body_is_its_first_comment_when_the_top_just_says_ship_it() -> None:
    review = {
        "ship_it": True,
        "body_top": "Ship It!",
        "first_comment": "One nit.",
        "body_bottom": "Bye",
    }
    message = render_event(event("review.published", review_request=RR, review=review))
    assert message.text == "One nit."
    assert message.summary == "New review (Ship it!)"  # no user: no "from"


def test_a_reply() -> None:
    reply = {"url": "https://rb.example.com/r/42/#reply3", "body_bottom": "Fixed."}
    message = render_event(event("reply.published", review_request=RR, user="alice", reply=reply))
    assert (message.summary, message.text, message.url) == (
        "New reply from alice",
        "Fixed.",
        reply["url"],
    )


def test_the_review_board_family_is_five_types() -> None:
    assert set(REVIEW_BOARD_EVENTS) == {
        "review_request.published",
        "review_request.closed",
        "review_request.reopened",
        "review.published",
        "reply.published",
    }


def test_a_review_board_event_without_its_review_request_renders_generically() -> None:
    message = render_event(event("review.published", review_id=7))
    assert message.title == "review.published"
    assert message.text == "review_id: 7"


def test_odd_values_are_left_out_not_fatal() -> None:
    odd = {"id": "x", "summary": ["not", "text"], "url": "javascript:alert(1)", "diff": 3}
    message = render_event(event("review_request.published", review_request=odd, user=5))
    assert message.title == "(no summary)"
    assert message.url is None
    assert message.author == ChatAuthor(name="5")
    assert message.fields == ()


def test_a_generic_event_from_its_conventional_keys() -> None:
    message = render_event(
        event(
            "ci.build.failed",
            title="Build 1234 failed",
            url="https://ci.example.com/1234",
            text="3 tests failed",
            fields=[
                {"title": "Branch", "value": "main", "short": True},
                {"title": "Took", "value": 93},
            ],
            author={"name": "ci-bot"},
            color="#D00000",
        )
    )
    assert (message.title, message.url, message.text) == (
        "Build 1234 failed",
        "https://ci.example.com/1234",
        "3 tests failed",
    )
    assert message.fields == (
        ChatField(title="Branch", value="main", short=True),
        ChatField(title="Took", value="93"),
    )
    assert message.colour == "#d00000"
    assert message.author == ChatAuthor(name="ci-bot")
    assert message.summary == "ci.build.failed from ci-bot"
    assert message.fallback == "Build 1234 failed: https://ci.example.com/1234"


def test_fields_as_a_mapping_and_broken_fields_dropped() -> None:
    assert render_event(
        event("shop.order", fields={"Total": "9.99 EUR", "Items": [1, 2]})
    ).fields == (
        ChatField(title="Total", value="9.99 EUR"),
        ChatField(title="Items", value="[1,2]"),
    )
    broken = render_event(event("shop.order", text="x", fields=[1, {"title": "t"}, {"value": "v"}]))
    assert broken.fields == ()


def test_an_event_with_no_conventional_key_shows_its_type_and_data() -> None:
    message = render_event(event("shop.order.paid", order=1001, lines=[{"sku": "A1"}], note="a\nb"))
    assert message.title == "shop.order.paid"
    assert message.text == 'order: 1001\nlines: [{"sku":"A1"}]\nnote: a b'
    assert message.fallback.startswith("shop.order.paid: order: 1001; ")


def test_the_compact_view_is_bounded() -> None:
    data = {f"k{i}": "v" * 1000 for i in range(MAX_COMPACT_KEYS + 5)}
    message = render_event(Event(type="big.event", data=data))
    lines = (message.text or "").split("\n")
    assert len(lines) == MAX_COMPACT_KEYS + 1
    assert lines[-1] == "… and 5 more"
    assert all(len(line) <= 210 for line in lines)
    assert len(message.fallback) <= 300


def test_an_event_with_no_data_is_still_a_message() -> None:
    message = render_event(event("ping"))
    assert message.title == "ping"
    assert message.summary == message.fallback == "ping (no data)"
