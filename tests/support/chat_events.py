"""The events the chat services' end-to-end tests send: each Review Board event type as
rbintegrations words it, and other apps' events (conventional keys, plain data, none).

Each is (event type, data, a phrase the message's summary must carry)."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["EVENTS", "RR", "SHIP_IT_REVIEW", "SHORT_RR"]

RR: Final[dict[str, Any]] = {
    "id": 42,
    "summary": "Fix <the> parser & more",
    "url": "https://rb.example.com/r/42/",
    "description": "It crashed.",
    "repository": "backend",
    "branch": "main",
    "diff": {"revision": 2, "url": "https://rb.example.com/r/42/diff/2/"},
}

EVENTS: Final[list[tuple[str, dict[str, Any], str]]] = [
    (
        "review_request.published",
        {"review_request": RR, "user": "alice"},
        "New review request from alice",
    ),
    (
        "review_request.published",
        {"review_request": RR, "user": "alice", "change_description": "Rebased."},
        "New update from alice",
    ),
    (
        "review_request.closed",
        {"review_request": RR, "user": "bob", "close_type": "submitted"},
        "Closed as completed by bob",
    ),
    (
        "review_request.closed",
        {"review_request": RR, "user": "bob", "close_type": "discarded"},
        "Discarded by bob",
    ),
    ("review_request.reopened", {"review_request": RR, "user": "bob"}, "Reopened by bob"),
    (
        "review.published",
        {"review_request": RR, "user": "carol", "review": {"ship_it": True, "open_issues": 3}},
        "New review from carol (Fix it, then Ship it!)",
    ),
    (
        "reply.published",
        {"review_request": RR, "user": "alice", "reply": {"body_top": "Done."}},
        "New reply from alice",
    ),
    ("ci.build.failed", {"title": "Build 7 failed", "text": "3 tests"}, "ci.build.failed"),
    ("shop.order.paid", {"order": 1001, "total": "9.99"}, "shop.order.paid"),
    ("ping", {}, "ping (no data)"),
]

#: A review request with only what every message needs, for the services' unit tests.
SHORT_RR: Final[dict[str, Any]] = {
    "id": 42,
    "summary": "Fix the parser",
    "url": "https://rb.example.com/r/42/",
}
#: ``review.published`` data: a Ship It! from alice, linked, with a short body.
SHIP_IT_REVIEW: Final[dict[str, Any]] = {
    "review_request": SHORT_RR,
    "user": {"username": "alice", "url": "https://rb.example.com/users/alice/"},
    "review": {"ship_it": True, "url": "https://rb.example.com/r/42/#review7", "body_top": "Nice."},
}
