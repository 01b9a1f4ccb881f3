"""Group commit: the Redis writes of deliveries that end at about the same time share one
MULTI/EXEC.

Each caller adds its commands and waits for the one round trip that carries
them with everyone else's; when it returns, its writes are in Redis, as if it
had sent them alone. When idle, a write goes out at once (the next turn of the
event loop), so batching adds no latency; under load, one round trip and one
transaction carry many deliveries. A failure fails every write of that batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from redis.asyncio.client import Pipeline

from switchboard.config import Redis

__all__ = ["GroupCommit"]

#: The most writers one transaction carries.
MAX_BATCH: Final = 256


class GroupCommit:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pending: list[tuple[Callable[[Pipeline], None], asyncio.Future[list[Any]]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def execute(self, fill: Callable[[Pipeline], None]) -> list[Any]:
        """Run the commands ``fill`` buffers; returns their replies (and only theirs)."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((fill, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # one turn of the loop: writers ending together join in
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._commit(batch)
        finally:
            self._flusher = None

    async def _commit(
        self, batch: list[tuple[Callable[[Pipeline], None], asyncio.Future[list[Any]]]]
    ) -> None:
        spans = []
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for fill, _ in batch:
                    start = len(pipe.command_stack)
                    fill(pipe)
                    spans.append((start, len(pipe.command_stack)))
                replies = await pipe.execute()
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), (start, end) in zip(batch, spans, strict=True):
            if not future.done():
                future.set_result(replies[start:end])
