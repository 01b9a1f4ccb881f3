"""``/readyz``: 200 with Redis up and a recent heartbeat; 503, saying why, otherwise."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from switchboard.config import Redis, RedisKeys, Settings
from switchboard.worker.heartbeat import HeartbeatWriter, WorkerLoad
from switchboard.worker.web import create_app


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client


def _at(seconds_ago: float) -> Callable[[], float]:
    return lambda: time.time() - seconds_ago


async def test_ready_only_while_a_heartbeat_is_within_the_window(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    windowed = settings.model_copy(update={"ready_worker_window": 20, "heartbeat_interval": 10})
    async with _client(windowed) as client:
        none = await client.get("/readyz")
        assert none.status == 503
        assert await none.json() == {
            "status": "unavailable",
            "redis": "ok",
            "workers_alive": 0,
            "reason": "no worker heartbeat within the last 20 s",
        }
        # A heartbeat 25 s old (its key has not expired yet: TTL 30 s) is too old.
        await HeartbeatWriter(keys, interval=10, load=WorkerLoad, clock=_at(25)).beat(redis_client)
        assert (await client.get("/readyz")).status == 503
        await HeartbeatWriter(keys, interval=10, load=WorkerLoad, clock=_at(5)).beat(redis_client)
        ready = await client.get("/readyz")
        assert ready.status == 200
        assert await ready.json() == {"status": "ok", "redis": "ok", "workers_alive": 1}
        # /healthz says the process is alive, heartbeats or not.
        assert (await client.get("/healthz")).status == 200


async def test_not_ready_when_redis_is_unreachable(settings: Settings) -> None:
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with _client(down) as client:
        response = await client.get("/readyz")
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "unavailable"
    assert body["workers_alive"] == 0
    assert body["redis"] not in ("", "ok")  # the reason Redis gave
