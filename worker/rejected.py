"""The rejected-events log: what reached a worker but could not be accepted.

A payload that is not JSON (a planted pickle), not a Switchboard job, or an
event that is malformed or too large is never run and never dropped
silently: the worker logs it with its ids and keeps it here, newest first,
up to ``REJECTED_EVENTS_MAX`` entries, for ``switchboard rejected list``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from switchboard.config import REJECTED_EVENTS_MAX, Redis, RedisKeys, utc_now
from switchboard.integrations import ConfigValidationError

from .metric_names import EVENTS_REJECTED

__all__ = ["RejectedEvent", "RejectedEventLog", "RejectedEventPage"]


class RejectedEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    #: What the payload claimed to be, when that much could be read.
    event_id: str | None = None
    job_id: str | None = None
    #: The first bytes of the payload as text (the payload was already in Redis).
    preview: str = ""
    rejected_at: datetime = Field(default_factory=utc_now)


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedEventPage:
    """One page of the rejected events. ``next_cursor``: an offset, ``None`` on the last."""

    items: list[RejectedEvent]
    #: How many rejected events are kept in all.
    total: int
    next_cursor: str | None


class RejectedEventLog:
    def __init__(self, redis: Redis, keys: RedisKeys, *, limit: int = REJECTED_EVENTS_MAX) -> None:
        self._redis = redis
        self._key = keys.rejected_events
        self._metrics = keys.metrics
        self._limit = limit

    async def record(self, entries: Sequence[RejectedEvent]) -> None:
        """Keep ``entries`` (one round trip however many)."""
        if not entries:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self._key, *(entry.model_dump_json() for entry in entries))
            pipe.ltrim(self._key, 0, self._limit - 1)
            pipe.hincrby(self._metrics, EVENTS_REJECTED, len(entries))
            await pipe.execute()

    async def list(self, limit: int = 50) -> list[RejectedEvent]:
        """The newest ``limit`` entries, newest first."""
        raw = await cast("Awaitable[list[bytes]]", self._redis.lrange(self._key, 0, limit - 1))
        return [RejectedEvent.model_validate_json(item) for item in raw]

    async def count(self) -> int:
        return await cast("Awaitable[int]", self._redis.llen(self._key))

    async def page(self, *, limit: int = 50, cursor: str | None = None) -> RejectedEventPage:
        """Up to ``limit``, newest first, from ``cursor`` (a page's ``next_cursor``: how many
        came before) on; a new entry meanwhile moves the rest one on (a repeat, no skip)."""
        offset = _offset(cursor)
        entries, total = await self.list(offset + limit), await self.count()
        items = entries[offset:]
        more = offset + len(items) < total
        return RejectedEventPage(
            items=items, total=total, next_cursor=str(offset + len(items)) if more else None
        )


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 9:
        raise ConfigValidationError(
            {"cursor": f"{cursor[:40]!r} is not a cursor this listing gave"}, subject="listing"
        )
    return int(cursor)
