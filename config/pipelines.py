"""Pipelines that give their connection back even when cancelled while they reset.

redis-py's ``Pipeline.reset()`` (how ``async with`` and ``execute()`` end) awaits an
``UNWATCH`` round trip before it returns the connection to the pool. A task cancelled
during that await keeps the connection checked out for good, and the pipeline warns
("Unclosed client session") when it is collected: arq's worker loop does exactly this
when a worker stops while ``start_jobs`` undoes a ``WATCH``. Here the reset is shielded:
the cancellation still reaches the task, and the reset finishes all the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

__all__ = ["SafePipeline", "SafeRedis", "safe_pipeline"]


class SafePipeline(Pipeline):
    async def reset(self) -> None:
        await asyncio.shield(super().reset())  # type: ignore[no-untyped-call]  # redis-py's


def safe_pipeline(
    client: aioredis.Redis, transaction: bool = True, shard_hint: Any = None
) -> SafePipeline:
    """``client.pipeline()``, as a ``SafePipeline``: for a client class's ``pipeline``."""
    return SafePipeline(client.connection_pool, client.response_callbacks, transaction, shard_hint)


class SafeRedis(aioredis.Redis):
    """The asyncio client, with ``SafePipeline`` pipelines."""

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> SafePipeline:
        return safe_pipeline(self, transaction, shard_hint)
