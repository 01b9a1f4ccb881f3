"""``SafePipeline``: a pipeline cancelled while it resets still gives its connection back."""

from __future__ import annotations

import asyncio

import pytest
from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline

from switchboard.config import Settings, open_redis
from switchboard.config.pipelines import SafePipeline
from switchboard.testing import wait_for
from switchboard.worker.runner import ArqPool


async def _cancelled_while_resetting(pipe: Pipeline) -> None:
    """As arq's worker loop is stopped while ``start_jobs`` undoes a ``WATCH``."""
    await pipe.watch("sbtest:watched")  # the pipeline holds a connection now
    resetting = asyncio.ensure_future(pipe.reset())
    # One turn of the loop: the reset runs to its first await (the UNWATCH round trip),
    # and the cancellation lands there.
    await asyncio.sleep(0)
    resetting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await resetting


async def test_a_pipeline_cancelled_while_it_resets_gives_its_connection_back(
    settings: Settings,
) -> None:
    async with open_redis(settings) as redis:
        pipe = redis.pipeline(transaction=True)
        assert isinstance(pipe, SafePipeline)
        await _cancelled_while_resetting(pipe)
        await wait_for(lambda: pipe.connection is None, what="the connection back in the pool")
        assert not pipe.watching
        assert len(redis.connection_pool._in_use_connections) == 0
        assert await redis.ping()  # and the client goes on


async def test_redis_pys_own_pipeline_keeps_the_connection_so_cancelled(
    settings: Settings,
) -> None:
    """What ``SafePipeline`` is for: redis-py's reset, cancelled, never gives it back."""
    async with open_redis(settings) as redis:
        pipe = Pipeline(redis.connection_pool, redis.response_callbacks, True, None)
        await _cancelled_while_resetting(pipe)
        assert pipe.connection is not None
        await pipe.reset()  # tidied by hand, so that the test leaves nothing behind
        assert pipe.connection is None


async def test_the_workers_arq_client_has_safe_pipelines(settings: Settings) -> None:
    pool = ArqPool.from_url(settings.effective_redis_url)
    try:
        assert isinstance(pool, ArqRedis)
        pipe = pool.pipeline(transaction=True)
        assert isinstance(pipe, SafePipeline)
        await _cancelled_while_resetting(pipe)
        await wait_for(lambda: pipe.connection is None, what="the connection back in the pool")
    finally:
        await pool.aclose()
