"""Subscription patterns and the index that routes event types to handlers."""

from __future__ import annotations

import re

import pytest

from switchboard.integrations import Event
from switchboard.integrations.subscriptions import (
    EventHandler,
    Subscription,
    SubscriptionIndex,
    compile_pattern,
)


async def handle_one(event: Event) -> None:
    pass


async def handle_two(event: Event) -> None:
    pass


def matches(pattern: str, event_type: str) -> bool:
    return compile_pattern(pattern).fullmatch(event_type) is not None


# -- patterns ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        # exact
        ("review.published", "review.published", True),
        ("review.published", "review.publishedx", False),
        ("review.published", "review.published.late", False),
        ("review.published", "review", False),
        ("review.published", "reviewxpublished", False),  # the dot is literal
        ("review", "review", True),
        ("review", "review.published", False),
        # everything
        ("*", "review", True),
        ("*", "review.published", True),
        ("*", "ci.build.step.failed", True),
        # a prefix, at any depth
        ("review.*", "review.published", True),
        ("review.*", "review.comment.created", True),
        ("review.*", "review", False),
        ("review.*", "reviews.x", False),
        ("review.*", "code_review.published", False),
        ("ci.build.*", "ci.build.failed", True),
        ("ci.build.*", "ci.deploy.failed", False),
        # exactly one segment in the middle
        ("review.*.created", "review.comment.created", True),
        ("review.*.created", "review.reply_2.created", True),
        ("review.*.created", "review.created", False),
        ("review.*.created", "review.comment.reply.created", False),
        ("review.*.created", "review.comment.deleted", False),
        ("*.published", "review.published", True),
        ("*.published", "ci.review.published", False),
        ("*.*", "review.published", True),
        ("*.*", "review", False),
    ],
)
def test_pattern_matching(pattern: str, event_type: str, expected: bool) -> None:
    assert matches(pattern, event_type) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "Review.published",
        "review.Published",
        "review..x",
        "review.",
        ".review",
        "rev*",
        "review.*x",
        "review.pub-lished",
        "review published",
        "**",
    ],
)
def test_invalid_patterns_are_refused_with_the_pattern_named(pattern: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Invalid event pattern {pattern!r}")):
        compile_pattern(pattern)


def test_pattern_with_trailing_newline_is_refused() -> None:
    """A segment is ``[a-z0-9_]`` only; a newline at the end is not one of them."""
    with pytest.raises(ValueError, match="Invalid event pattern"):
        compile_pattern("review.published\n")


# -- the index -----------------------------------------------------------------


def sub(integration_id: str, pattern: str, handler: EventHandler = handle_one) -> Subscription:
    return Subscription(integration_id=integration_id, pattern=pattern, handler=handler)


def test_empty_index_matches_nothing() -> None:
    index = SubscriptionIndex()

    assert len(index) == 0
    assert index.match("review.published") == ()


def test_match_returns_subscriptions_in_insertion_order() -> None:
    index = SubscriptionIndex()
    wildcard = sub("b", "*")
    exact = sub("a", "review.published")
    prefix = sub("a", "review.*", handle_two)
    other = sub("c", "ci.*")
    for subscription in (wildcard, exact, prefix, other):
        index.add(subscription)

    assert len(index) == 4
    assert index.match("review.published") == (wildcard, exact, prefix)
    assert index.match("review.comment.created") == (wildcard, prefix)
    assert index.match("ci.build.failed") == (wildcard, other)
    assert index.match("deploy") == (wildcard,)


def test_match_is_cached() -> None:
    index = SubscriptionIndex()
    index.add(sub("a", "review.*"))

    first = index.match("review.published")

    assert first != ()
    assert index.match("review.published") is first


def test_add_invalidates_the_cache() -> None:
    index = SubscriptionIndex()
    original = sub("a", "review.*")
    index.add(original)
    before = index.match("review.published")

    added = sub("b", "review.published", handle_two)
    index.add(added)
    after = index.match("review.published")

    assert before == (original,)
    assert after == (original, added)
    assert after is not before
    assert index.match("review.published") is after


def test_remove_integration_invalidates_the_cache() -> None:
    index = SubscriptionIndex()
    kept = sub("keep", "review.*")
    index.add(kept)
    index.add(sub("drop", "*"))
    before = index.match("review.published")

    index.remove_integration("drop")
    after = index.match("review.published")

    assert len(before) == 2
    assert after == (kept,)
    assert after is not before


def test_remove_integration_removes_only_that_integration() -> None:
    index = SubscriptionIndex()
    a1 = sub("a", "review.published")
    b1 = sub("b", "review.*")
    a2 = sub("a", "*", handle_two)
    b2 = sub("b", "ci.*", handle_two)
    for subscription in (a1, b1, a2, b2):
        index.add(subscription)

    index.remove_integration("a")

    assert len(index) == 2
    assert index.for_integration("a") == []
    assert index.for_integration("b") == [b1, b2]
    assert index.match("review.published") == (b1,)
    assert index.match("ci.build") == (b2,)
    assert index.match("deploy") == ()


def test_remove_unknown_integration_changes_nothing() -> None:
    index = SubscriptionIndex()
    existing = sub("a", "review.*")
    index.add(existing)

    index.remove_integration("nobody")

    assert len(index) == 1
    assert index.match("review.published") == (existing,)


def test_add_with_invalid_pattern_leaves_index_unchanged() -> None:
    index = SubscriptionIndex()
    existing = sub("a", "review.*")
    index.add(existing)
    cached = index.match("review.published")

    with pytest.raises(ValueError, match=re.escape("'Review.*'")):
        index.add(sub("b", "Review.*"))

    assert len(index) == 1
    assert index.for_integration("b") == []
    assert index.match("review.published") is cached


def test_for_integration_lists_in_insertion_order() -> None:
    index = SubscriptionIndex()
    first = sub("a", "review.published")
    second = sub("a", "review.*", handle_two)
    index.add(first)
    index.add(sub("b", "*"))
    index.add(second)

    assert index.for_integration("a") == [first, second]
