"""A change made in one process reaches another by itself: pub/sub, or polling when it is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.env import TEST_ENV

from switchboard.config import ConfigStore, Redis, RedisKeys
from switchboard.testing.waiting import wait_for_async

TESTS_DIR = Path(__file__).resolve().parents[1]
POLL_INTERVAL = 0.3


@dataclass
class Watcher:
    """The other process, and the JSON lines it printed so far."""

    process: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)

    async def next(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next line of ``kind`` (skipping others); fails after ``timeout`` seconds."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"watcher exited before printing {kind!r}")
                line = orjson.loads(raw)
                self.lines.append(line)
                if line["event"] == kind:
                    return line


@pytest.fixture
async def watcher(redis_url: str) -> AsyncIterator[Watcher]:
    async with _watching(redis_url, POLL_INTERVAL) as watcher:
        yield watcher


@contextlib.asynccontextmanager
async def _watching(redis_url: str, poll_interval: float) -> AsyncIterator[Watcher]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": "sbtest",
        "SWITCHBOARD_CONFIG_POLL_INTERVAL": str(poll_interval),
        "PYTHONPATH": str(TESTS_DIR),
        **TEST_ENV,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "support.watcher",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    watcher = Watcher(process)
    try:
        await watcher.next("ready")
        yield watcher
    finally:
        assert process.stdin is not None
        process.stdin.close()
        async with asyncio.timeout(10):
            await process.wait()


class SilentKeys(RedisKeys):
    """The same keys, but writes publish on a channel nobody listens to: a lost message."""

    @property
    def configs_changed_channel(self) -> str:
        return f"{self.prefix}:nobody-listens"


async def test_enable_and_disable_reach_the_other_process(
    watcher: Watcher, store: ConfigStore
) -> None:
    started = time.time()
    record = await store.create(integration_id="tests.reporting", name="r")
    initialized = await watcher.next("initialize")
    change = await watcher.next("change")
    assert change["enabled"] == [record.id]
    # Pub/sub carries it well inside the poll interval (measured in bench/, not asserted).
    print(f"pub/sub propagation: {1000 * (initialized['t'] - started):.1f} ms")

    await store.update(record.id, lambda r: {"enabled": False})
    await watcher.next("shutdown")
    change = await watcher.next("change")
    assert change["enabled"] == []

    await store.update(record.id, lambda r: {"enabled": True})
    await watcher.next("initialize")
    await store.delete(record.id)
    await watcher.next("shutdown")


async def test_a_lost_pubsub_message_is_caught_by_polling(
    watcher: Watcher, redis_client: Redis
) -> None:
    silent = ConfigStore(redis_client, SilentKeys("sbtest"))
    started = time.time()
    record = await silent.create(integration_id="tests.reporting", name="r")
    await watcher.next("initialize")
    change = await watcher.next("change")
    assert change["enabled"] == [record.id]
    print(f"poll propagation: {1000 * (change['t'] - started):.1f} ms")


async def test_a_killed_pubsub_connection_reconnects(
    redis_url: str, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    # Polling this slowly, only a pub/sub message brings a change within the interval.
    poll_interval = 1.5
    channel = keys.configs_changed_channel

    async def subscribers() -> int:
        (_, count), *_ = await redis_client.pubsub_numsub(channel)
        return int(count)

    async with _watching(redis_url, poll_interval) as watcher:
        await wait_for_async(subscribers, what="the watcher to subscribe")
        assert await redis_client.execute_command("CLIENT", "KILL", "TYPE", "pubsub") >= 1
        assert await subscribers() == 0
        # Made while it is not subscribed: caught by the look it takes once it is again.
        record = await store.create(integration_id="tests.reporting", name="r")
        initialized = await watcher.next("initialize", timeout=poll_interval + 10)
        assert await subscribers() == 1  # it reconnected and subscribed again
        # That look ended just before "initialize"; the next poll is an interval after it.
        await store.update(record.id, lambda r: {"enabled": False})
        shutdown = await watcher.next("shutdown", timeout=poll_interval)
    assert shutdown["t"] - initialized["t"] < poll_interval  # a message, not the poll
