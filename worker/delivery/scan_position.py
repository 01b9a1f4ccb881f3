"""Where a listing of deliveries (``DeliveryAdmin.find``) stands in its sorted-set index
(``Position``: its cursor) and the time window it keeps (``Window``: ``since``/``until``
on the records' ``updated_at``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from switchboard.integrations.errors import ConfigValidationError

__all__ = ["Position", "Window"]

_DIGITS = re.compile(r"[0-9]{1,15}")


@dataclass(slots=True)
class Position:
    """Where a scan of a sorted set stands: the score reached, and how many entries with
    exactly that score were read already."""

    score: float | None = None
    seen_at_score: int = 0
    #: The index's scores (ms) below this are not read (a descending scan's end).
    floor: float | None = None

    @classmethod
    def parse(cls, cursor: str | None, window: Window) -> Position:
        if cursor is None:
            return cls(score=window.until_ms, floor=window.since_ms)
        score, sep, seen = cursor.partition(":")
        # What a cursor of ours holds: digits (an epoch in ms), ":", a count. Anything
        # else (nan, inf, "²", 30 digits) is refused here, never handed to Redis.
        if not (sep and _DIGITS.fullmatch(score) and _DIGITS.fullmatch(seen)):
            raise ConfigValidationError(
                {"cursor": f"{cursor[:40]!r} is not a cursor this listing gave"},
                subject="listing",
            )
        return cls(score=float(score), seen_at_score=int(seen), floor=window.since_ms)

    def passed(self, score: float) -> None:
        if score == self.score:
            self.seen_at_score += 1
        else:
            self.score, self.seen_at_score = score, 1

    def cursor(self) -> str:
        return f"{self.score:.0f}:{self.seen_at_score}"


@dataclass(frozen=True, slots=True)
class Window:
    """``since <= updated_at < until`` (epoch seconds; ``None``: unbounded)."""

    since: float | None = None
    until: float | None = None

    @classmethod
    def of(cls, since: datetime | None, until: datetime | None) -> Window:
        return cls(_epoch(since), _epoch(until))

    @property
    def open(self) -> bool:
        return self.since is None and self.until is None

    @property
    def since_ms(self) -> float | None:  # scores are whole ms: the one of ``since`` counts
        return None if self.since is None else math.floor(self.since * 1000)

    @property
    def until_ms(self) -> float | None:
        return None if self.until is None else math.ceil(self.until * 1000)

    def holds(self, when: float) -> bool:
        return (self.since is None or when >= self.since) and (
            self.until is None or when < self.until
        )


def _epoch(when: datetime | None) -> float | None:
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
