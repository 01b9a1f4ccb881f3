"""Subscriptions: which handlers an event type goes to.

A pattern is an exact event type (``review.published``), ``*`` (every
event), a prefix ending in ``.*`` (``review.*``: every type below
``review``, at any depth) or ``*`` as a whole middle segment
(``review.*.created``: exactly one segment there). Matching is done once per
event type and remembered until the subscriptions change, so the hot path is
one dictionary lookup.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from switchboard.config.errors import InvalidArgumentError

if TYPE_CHECKING:
    from .events import Event

__all__ = ["EventHandler", "Subscription", "SubscriptionIndex", "compile_pattern"]

EventHandler = Callable[["Event"], Awaitable[None]]

_SEGMENT: Final = re.compile(r"\*|[a-z0-9_]+")
#: How many distinct event types the match cache remembers before it starts over.
_MATCH_CACHE_MAX: Final = 10_000


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regex for a subscription pattern; ``InvalidArgumentError`` (a ``ValueError``)
    says what is wrong with it."""
    segments = pattern.split(".")
    if not pattern or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise InvalidArgumentError(
            f"Invalid event pattern {pattern!r}: use dot-separated lowercase segments "
            "([a-z0-9_]) or '*', like 'review.published', 'review.*' or '*'"
        )
    parts = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "*":
            parts.append(r".+" if last else r"[a-z0-9_]+")
        else:
            parts.append(re.escape(segment))
    return re.compile(r"\.".join(parts))


@dataclass(frozen=True, slots=True)
class Subscription:
    integration_id: str
    pattern: str
    handler: EventHandler


class SubscriptionIndex:
    """Live subscriptions, and a cache of which ones each event type matches."""

    def __init__(self) -> None:
        self._subscriptions: list[tuple[re.Pattern[str], Subscription]] = []
        self._matches: dict[str, tuple[Subscription, ...]] = {}

    def add(self, subscription: Subscription) -> None:
        regex = compile_pattern(subscription.pattern)
        self._subscriptions.append((regex, subscription))
        self._matches.clear()

    def remove_integration(self, integration_id: str) -> None:
        self._subscriptions = [
            entry for entry in self._subscriptions if entry[1].integration_id != integration_id
        ]
        self._matches.clear()

    def for_integration(self, integration_id: str) -> list[Subscription]:
        return [sub for _, sub in self._subscriptions if sub.integration_id == integration_id]

    def match(self, event_type: str) -> tuple[Subscription, ...]:
        """The subscriptions ``event_type`` goes to, in the order they were made."""
        found = self._matches.get(event_type)
        if found is None:
            found = tuple(sub for regex, sub in self._subscriptions if regex.fullmatch(event_type))
            if len(self._matches) >= _MATCH_CACHE_MAX:
                self._matches.clear()
            self._matches[event_type] = found
        return found

    def __len__(self) -> int:
        return len(self._subscriptions)
