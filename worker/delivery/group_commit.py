"""Group commit: the Redis writes of deliveries that end at about the same time share one
MULTI/EXEC (a ``WriteBatcher`` of pipeline fillers).

Each caller adds its commands and waits for the one round trip that carries
them with everyone else's; when it returns, its writes are in Redis, as if it
had sent them alone. When idle, a write goes out at once (the next turn of the
event loop), so batching adds no latency; under load, one round trip and one
transaction carry many deliveries. A failure fails every write of that batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from redis.asyncio.client import Pipeline

from switchboard.config import Redis

from ..batching import WriteBatcher

__all__ = ["GroupCommit"]

#: The most writers one transaction carries.
MAX_BATCH: Final = 256

Fill = Callable[[Pipeline], None]


class GroupCommit:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._batcher: WriteBatcher[Fill, list[Any]] = WriteBatcher(
            self._commit, max_batch=MAX_BATCH
        )

    async def execute(self, fill: Fill) -> list[Any]:
        """Run the commands ``fill`` buffers; returns their replies (and only theirs)."""
        return await self._batcher.submit(fill)

    async def _commit(self, fills: list[Fill]) -> list[list[Any]]:
        spans = []
        async with self._redis.pipeline(transaction=True) as pipe:
            for fill in fills:
                start = len(pipe.command_stack)
                fill(pipe)
                spans.append((start, len(pipe.command_stack)))
            replies = await pipe.execute()
        return [replies[start:end] for start, end in spans]
