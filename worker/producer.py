"""Producers: how apps put events on the queue.

``EventClient`` is for asyncio code, ``SyncEventClient`` for code with no
event loop (a Django or Flask view). Both validate every event before
writing anything (``InvalidEventError``), write a batch in one round trip
(one MULTI/EXEC pipeline), and turn an unreachable Redis into
``RedisUnavailableError`` naming the URL without its password::

    async with EventClient(load_settings()) as events:
        event_id = await events.emit("review.published", {"review_id": 42})

    events = SyncEventClient(load_settings())  # once, at start-up
    events.emit("review.published", {"review_id": 42}, tenant="acme")

``EventClient.emit()`` calls made close together (the requests of a busy web
app) share a queue job: a client writes at most once per ``emit_linger``
(5 ms), so under load an emit waits up to that long for others to join it,
while an emit after a quiet spell goes at once. One arq job per event would
cap the queue near arq's per-job rate; a shared job costs the worker one
job's overhead for all its events. ``emit()`` still returns only once its
event is in Redis.

Register a pydantic model for an event type (``schemas=`` or
``register_schema``) and its data is validated, and normalised to JSON, at
emit time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel

# Module by module, not through the packages' names: an app that only emits loads
# the envelope, settings and redis-py, not the worker (tests/worker/test_imports.py).
from switchboard.config.connection import (
    REDIS_DOWN_ERRORS,
    describe_redis_error,
    redact_url,
    redis_client,
    sync_redis_client,
)
from switchboard.config.errors import RedisUnavailableError
from switchboard.config.settings import Settings
from switchboard.integrations.events import Event

from .batching import WriteBatcher
from .queue import EventEncoder, EventSchemas, QueuedJob

__all__ = ["EventClient", "SyncEventClient"]

EventData = Mapping[str, Any] | BaseModel | None


class _Producer:
    def __init__(self, settings: Settings, schemas: EventSchemas | None) -> None:
        self._encoder = EventEncoder(settings, schemas)
        self._url = redact_url(settings.effective_redis_url)

    def register_schema(self, event_type: str, model: type[BaseModel]) -> None:
        """Validate the data of ``event_type`` events with ``model`` from now on."""
        self._encoder.schemas[event_type] = model

    def _unavailable(self, exc: BaseException) -> RedisUnavailableError:
        return RedisUnavailableError(self._url, describe_redis_error(exc))


class EventClient(_Producer):
    """Emits events from asyncio code. Use it with ``async with`` (or call ``aclose()``)."""

    def __init__(self, settings: Settings, *, schemas: EventSchemas | None = None) -> None:
        super().__init__(settings, schemas)
        self._redis = redis_client(settings)
        # At most one queue write per linger: a burst of emits shares jobs, while an emit
        # after a quiet spell goes at once.
        self._emits: WriteBatcher[str, None] = WriteBatcher(
            self._write_emits, min_gap=settings.emit_linger
        )

    async def emit(
        self,
        event_type: str,
        data: EventData = None,
        *,
        tenant: str | None = None,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        config_id: str | None = None,
    ) -> str:
        """Queue one event; returns its id (``event_id`` when given), once it is in Redis.

        ``config_id``: addressed to that configuration alone (``Event.config_id``)."""
        the_id, encoded = self._encoder.encode(
            event_type,
            data,
            tenant=tenant,
            event_id=event_id,
            occurred_at=occurred_at,
            config_id=config_id,
        )
        await self._emits.submit(encoded)
        return the_id

    async def _write_emits(self, encoded: list[str]) -> list[None]:
        await self._write(self._encoder.jobs(encoded))
        return [None] * len(encoded)

    async def emit_many(self, events: Iterable[Event | Mapping[str, Any]]) -> list[str]:
        """Queue a batch in one round trip; nothing is written if any event is invalid.

        Each item is an ``Event`` or a mapping with ``type`` and optional
        ``data``, ``tenant`` and ``id``.
        """
        ids, encoded = self._encoder.encode_many(events)
        await self._write(self._encoder.jobs(encoded))
        return ids

    async def _write(self, jobs: Sequence[QueuedJob]) -> None:
        if not jobs:
            return
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                self._encoder.queue(pipe, jobs)
                await pipe.execute()
        except REDIS_DOWN_ERRORS as exc:
            raise self._unavailable(exc) from None

    async def aclose(self) -> None:
        await self._emits.idle()  # emits still on their way finish first
        await self._redis.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class SyncEventClient(_Producer):
    """Emits events from code with no event loop. Thread-safe: share one per process."""

    def __init__(self, settings: Settings, *, schemas: EventSchemas | None = None) -> None:
        super().__init__(settings, schemas)
        self._redis = sync_redis_client(settings)

    def emit(
        self,
        event_type: str,
        data: EventData = None,
        *,
        tenant: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """Queue one event; returns its id (``event_id`` when given)."""
        the_id, encoded = self._encoder.encode(event_type, data, tenant=tenant, event_id=event_id)
        self._write(self._encoder.jobs([encoded]))
        return the_id

    def emit_many(self, events: Iterable[Event | Mapping[str, Any]]) -> list[str]:
        """Queue a batch in one round trip; see ``EventClient.emit_many``."""
        ids, encoded = self._encoder.encode_many(events)
        self._write(self._encoder.jobs(encoded))
        return ids

    def _write(self, jobs: Sequence[QueuedJob]) -> None:
        if not jobs:
            return
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                self._encoder.queue(pipe, jobs)
                pipe.execute()
        except REDIS_DOWN_ERRORS as exc:
            raise self._unavailable(exc) from None

    def close(self) -> None:
        self._redis.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
