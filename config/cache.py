"""Each process's mirror of the configuration store.

Reading a configuration on the hot path costs no Redis round trip: the
records live in this process. They are kept fresh two ways at once:

* every store write publishes the new generation on a pub/sub channel, which
  wakes the watcher at once (a change arrives in milliseconds);
* the watcher also asks for the generation every ``poll_interval`` seconds,
  so a lost pub/sub message (a dropped connection, a Redis restart) delays a
  change by at most that interval instead of losing it.

Either way, one script call returns just the records that changed since the
generation this process holds, so a change costs the same with ten records
as with ten thousand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Protocol

from .connection import REDIS_DOWN_ERRORS, Redis
from .errors import RecordFormatError
from .records import ConfigRecord
from .store import ConfigChanges, ConfigStore

__all__ = ["ChangeListener", "ConfigCache", "ConfigSource"]

logger = logging.getLogger(__name__)

#: Called after the cache applied a change; ``changes.records`` says what changed.
ChangeListener = Callable[[ConfigChanges], None]


class ConfigSource(Protocol):
    """What the integration manager follows: ``ConfigCache`` in every process, or records
    held in memory (``switchboard.testing``'s handler tests)."""

    @property
    def records(self) -> Mapping[str, ConfigRecord]: ...

    @property
    def generation(self) -> int: ...

    def add_listener(self, listener: ChangeListener) -> None: ...


class ConfigCache:
    """All configuration records, in memory, fresh within ``poll_interval`` at worst."""

    def __init__(self, store: ConfigStore, redis: Redis, *, poll_interval: float) -> None:
        self._store = store
        self._redis = redis
        self._poll_interval = poll_interval
        self._records: dict[str, ConfigRecord] = {}
        self._broken: dict[str, RecordFormatError] = {}
        self._generation = -1
        self._listeners: list[ChangeListener] = []
        self._watcher: asyncio.Task[None] | None = None
        self._refresh_lock = asyncio.Lock()
        self._redis_down = False

    @property
    def records(self) -> Mapping[str, ConfigRecord]:
        return MappingProxyType(self._records)

    @property
    def broken(self) -> Mapping[str, RecordFormatError]:
        """Stored records this process could not read, by id."""
        return MappingProxyType(self._broken)

    @property
    def generation(self) -> int:
        return self._generation

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    async def refresh(self) -> ConfigChanges | None:
        """Fetch what changed (one round trip); apply it and tell the listeners.

        Returns the changes, or ``None`` when nothing changed.
        """
        async with self._refresh_lock:
            changes = await self._store.changes_since(self._generation)
            if changes.generation == self._generation and not changes.full:
                return None
            self._apply(changes)
        for listener in self._listeners:
            try:
                listener(changes)
            except Exception:
                logger.exception("A configuration change listener failed")
        return changes

    def _apply(self, changes: ConfigChanges) -> None:
        if changes.full:
            self._records.clear()
            self._broken.clear()
        for config_id, record in changes.records.items():
            self._broken.pop(config_id, None)
            if record is None:
                self._records.pop(config_id, None)
            else:
                self._records[config_id] = record
        for config_id, error in changes.broken.items():
            self._records.pop(config_id, None)
            if config_id not in self._broken:
                logger.error("%s", error)
            self._broken[config_id] = error
        self._generation = changes.generation

    # -- the watcher ----------------------------------------------------------

    async def __aenter__(self) -> ConfigCache:
        await self.refresh()
        self._watcher = asyncio.create_task(self._watch(), name="switchboard-config-watcher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        channel = self._store.keys.configs_changed_channel
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    # Changes made while we were not subscribed are caught here.
                    await self.refresh()
                    self._note_redis_back()
                    while True:
                        await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=self._poll_interval
                        )
                        # A message or the poll interval: either way, ask.
                        await self.refresh()
            except REDIS_DOWN_ERRORS as exc:
                self._note_redis_down(exc)
                # Back off before reconnecting; this is the retry pace, not synchronisation.
                await asyncio.sleep(self._poll_interval)

    def _note_redis_down(self, exc: BaseException) -> None:
        if not self._redis_down:
            self._redis_down = True
            logger.warning(
                "Configuration watcher lost Redis (%s); serving the cached configurations and "
                "retrying every %.1f s",
                type(exc).__name__,
                self._poll_interval,
            )

    def _note_redis_back(self) -> None:
        if self._redis_down:
            self._redis_down = False
            logger.warning("Configuration watcher reconnected to Redis")
