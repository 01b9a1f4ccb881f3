"""Fixtures: one private redis-server for the session, a clean database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from switchboard.config import (
    ConfigStore,
    EmbeddedRedis,
    Redis,
    RedisKeys,
    Settings,
    open_redis,
)

#: What the tests allow through the SSRF guard (and `switchboard dev` does too).
LOOPBACK_CIDRS = "127.0.0.0/8,::1/128"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    """A redis-server on a free loopback port: never a developer's 6379."""
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture
def settings(redis_url: str) -> Settings:
    # Test traffic goes to local servers only: let the SSRF guard pass loopback.
    return Settings(
        redis_url=redis_url,
        key_prefix="sbtest",
        config_poll_interval=0.1,
        allow_cidrs=LOOPBACK_CIDRS,  # type: ignore[arg-type]  # validated from the string
    )


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.key_prefix)


@pytest.fixture
async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    async with open_redis(settings) as client:
        yield client


@pytest.fixture
def store(redis_client: Redis, keys: RedisKeys) -> ConfigStore:
    return ConfigStore(redis_client, keys)
