"""Worker heartbeats: written at start, refreshed every interval, removed on a clean stop."""

from __future__ import annotations

import os
import socket
import time

from support.workers import running_worker

from switchboard.config import Redis, RedisKeys, Settings
from switchboard.testing.waiting import wait_for_async
from switchboard.worker.heartbeat import (
    Heartbeat,
    HeartbeatWriter,
    WorkerLoad,
    alive_within,
    count_alive,
    heartbeat_ttl,
    read_heartbeats,
    switchboard_version,
)
from switchboard.worker.status import read_status


async def _alive(redis: Redis, keys: RedisKeys, window: float = 60.0) -> list[Heartbeat]:
    return await read_heartbeats(redis, keys, now=time.time(), window=window)


async def test_a_running_worker_beats_refreshes_and_is_removed_on_stop(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    fast = settings.model_copy(update={"heartbeat_interval": 0.2})
    async with running_worker(fast):
        beats = await wait_for_async(lambda: _alive(redis_client, keys))
        first = beats[0]
        assert len(beats) == 1
        assert (first.host, first.pid) == (socket.gethostname(), os.getpid())
        assert first.version == switchboard_version()
        assert first.load == WorkerLoad()
        assert first.started_at <= first.beat_at
        ttl = await redis_client.ttl(keys.worker(first.worker_id))
        assert 0 < ttl <= heartbeat_ttl(0.2) == 1

        async def refreshed() -> list[Heartbeat]:
            now = await _alive(redis_client, keys)
            return [b for b in now if b.beat_at > first.beat_at]

        later = (await wait_for_async(refreshed))[0]
        assert (later.worker_id, later.started_at) == (first.worker_id, first.started_at)
    assert await _alive(redis_client, keys) == []
    assert await redis_client.zcard(keys.workers) == 0


async def test_an_expired_heartbeat_is_not_read_and_is_trimmed_from_the_index(
    redis_client: Redis, keys: RedisKeys
) -> None:
    gone = HeartbeatWriter(keys, interval=1, load=WorkerLoad, clock=lambda: 1000.0)
    await gone.beat(redis_client)
    await redis_client.delete(keys.worker(gone.worker_id))  # as its TTL would
    assert await _alive(redis_client, keys) == []
    live = HeartbeatWriter(
        keys, interval=1, load=lambda: WorkerLoad(jobs_in_flight=2, events_done=7)
    )
    beat = await live.beat(redis_client)
    assert await _alive(redis_client, keys) == [beat]
    assert beat.load.jobs_in_flight == 2
    assert beat.load.events_done == 7
    # The beat trimmed the old worker's index entry (older than the TTL).
    assert [m.decode() for m in await redis_client.zrange(keys.workers, 0, -1)] == [live.worker_id]


async def test_every_reader_counts_alive_by_one_measure(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    """A worker killed 20 s ago: its heartbeat (TTL 15 s) is gone, its index entry is not
    trimmed yet (nobody beats). ``/readyz`` and ``status`` (the index) and ``workers`` and
    ``/metrics`` (the heartbeats) all say no worker is alive, not 1 and 0."""
    beating = settings.model_copy(update={"heartbeat_interval": 5, "ready_worker_window": 30})
    assert alive_within(beating) == 15  # the window, cut to the heartbeat's life
    killed = HeartbeatWriter(keys, interval=5, load=WorkerLoad, clock=lambda: time.time() - 20)
    await killed.beat(redis_client)
    await redis_client.set(keys.worker(killed.worker_id), killed.heartbeat().model_dump_json())
    async with redis_client.pipeline(transaction=False) as pipe:
        count_alive(pipe, keys, now=time.time(), window=alive_within(beating))
        (counted,) = await pipe.execute()
    assert counted == 0
    assert (await read_status(redis_client, beating)).workers_alive == 0
    assert await _alive(redis_client, keys, window=alive_within(beating)) == []
    assert len(await _alive(redis_client, keys, window=30)) == 1  # what a 30 s window saw
