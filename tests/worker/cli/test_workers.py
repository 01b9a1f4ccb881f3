"""``switchboard workers``: the fleet from the heartbeats, as a table and as JSON."""

from __future__ import annotations

import asyncio

import orjson
from click.testing import CliRunner
from support.cli import ok
from support.env import TEST_ENV

from switchboard.config import Redis, RedisKeys, Settings
from switchboard.worker.heartbeat import HeartbeatWriter, WorkerLoad, switchboard_version


async def test_workers_lists_each_heartbeat_with_its_load(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    runner = CliRunner(
        env={
            **TEST_ENV,
            "REDIS_URL": settings.effective_redis_url,
            "SWITCHBOARD_KEY_PREFIX": "sbtest",
        }
    )
    empty = await asyncio.to_thread(ok, runner, "workers")
    assert empty.startswith("No worker alive")
    assert orjson.loads(await asyncio.to_thread(ok, runner, "workers", "--json")) == []

    busy = WorkerLoad(jobs_in_flight=3, retries_in_flight=1, events_done=40, deliveries_done=38)
    one = HeartbeatWriter(keys, interval=5, load=lambda: busy, worker_id="w-one")
    two = HeartbeatWriter(keys, interval=5, load=WorkerLoad, worker_id="w-two")
    await one.beat(redis_client)
    await two.beat(redis_client)

    lines = (await asyncio.to_thread(ok, runner, "workers")).splitlines()
    assert lines[0].split()[:4] == ["ID", "HOST", "PID", "VERSION"]
    assert [line.split()[0] for line in lines[1:3]] == ["w-two", "w-one"]  # latest beat first
    assert lines[2].split()[-5:] == ["3", "1", "0", "40", "38"]
    assert lines[-1] == "2 workers"

    data = orjson.loads(await asyncio.to_thread(ok, runner, "workers", "--json"))
    assert [w["worker_id"] for w in data] == ["w-two", "w-one"]
    assert data[1]["load"] == busy.model_dump()
    assert data[1]["version"] == switchboard_version()
    assert 0 <= data[1]["age_s"] < 30
