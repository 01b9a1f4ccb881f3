"""The events every chat service's end-to-end tests post: each Review Board event type
(as rbintegrations words it) and other events, with the summary line each must show."""

from __future__ import annotations

from typing import Any

__all__ = ["EVENTS", "RR"]

RR = {
    "id": 42,
    "summary": "Fix <the> parser & more",
    "url": "https://rb.example.com/r/42/",
    "description": "It crashed.",
    "repository": "backend",
    "branch": "main",
    "diff": {"revision": 2, "url": "https://rb.example.com/r/42/diff/2/"},
}
EVENTS: list[tuple[str, dict[str, Any], str]] = [
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
