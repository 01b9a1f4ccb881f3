"""Fixtures: the plugin's redis-server for the session, a clean database per test, and a
real browser (``browser``, ``page``: ``support.browser``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
from support.browser import browser, page  # noqa: F401  (fixtures, offered to every test)
from support.env import LOOPBACK_CIDRS, TEST_SECRET_KEY

from switchboard.config import (
    ConfigStore,
    EmbeddedRedis,
    Redis,
    RedisKeys,
    Settings,
    open_redis,
)


@pytest.fixture(scope="session")
def redis_server(switchboard_redis: EmbeddedRedis) -> EmbeddedRedis:
    """The plugin's redis-server (``switchboard.testing``): never a developer's 6379."""
    return switchboard_redis


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
        secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
    )


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.key_prefix)


@pytest.fixture
async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    async with open_redis(settings) as client:
        yield client


@pytest.fixture
def store(redis_client: Redis, settings: Settings) -> ConfigStore:
    return ConfigStore.for_settings(redis_client, settings)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Runs inside this process load installed plugins afresh: pyreqwest's cannot load a
    second time (its Rust extension's submodules are gone once pytester restores
    ``sys.modules``), and no test here uses it (pyproject.toml disables it too)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:pyreqwest")
    return pytester
