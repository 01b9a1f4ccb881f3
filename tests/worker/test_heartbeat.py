"""Worker heartbeats: written at start, refreshed every interval, removed on a clean stop."""

from __future__ import annotations

import os
import socket

from support.workers import running_worker

from switchboard.config import Redis, RedisKeys, Settings
from switchboard.testing.waiting import wait_for_async
from switchboard.worker.heartbeat import (
    Heartbeat,
    HeartbeatWriter,
    WorkerLoad,
    heartbeat_ttl,
    read_heartbeats,
    switchboard_version,
)


async def test_a_running_worker_beats_refreshes_and_is_removed_on_stop(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    fast = settings.model_copy(update={"heartbeat_interval": 0.2})
    async with running_worker(fast):
        beats = await wait_for_async(lambda: read_heartbeats(redis_client, keys))
        first = beats[0]
        assert len(beats) == 1
        assert (first.host, first.pid) == (socket.gethostname(), os.getpid())
        assert first.version == switchboard_version()
        assert first.load == WorkerLoad()
        assert first.started_at <= first.beat_at
        ttl = await redis_client.ttl(keys.worker(first.worker_id))
        assert 0 < ttl <= heartbeat_ttl(0.2) == 1

        async def refreshed() -> list[Heartbeat]:
            now = await read_heartbeats(redis_client, keys)
            return [b for b in now if b.beat_at > first.beat_at]

        later = (await wait_for_async(refreshed))[0]
        assert (later.worker_id, later.started_at) == (first.worker_id, first.started_at)
    assert await read_heartbeats(redis_client, keys) == []
    assert await redis_client.zcard(keys.workers) == 0


async def test_an_expired_heartbeat_is_not_read_and_is_trimmed_from_the_index(
    redis_client: Redis, keys: RedisKeys
) -> None:
    gone = HeartbeatWriter(keys, interval=1, load=WorkerLoad, clock=lambda: 1000.0)
    await gone.beat(redis_client)
    await redis_client.delete(keys.worker(gone.worker_id))  # as its TTL would
    assert await read_heartbeats(redis_client, keys) == []
    live = HeartbeatWriter(
        keys, interval=1, load=lambda: WorkerLoad(jobs_in_flight=2, events_done=7)
    )
    beat = await live.beat(redis_client)
    assert await read_heartbeats(redis_client, keys) == [beat]
    assert beat.load.jobs_in_flight == 2
    assert beat.load.events_done == 7
    # The beat trimmed the old worker's index entry (older than the TTL).
    assert [m.decode() for m in await redis_client.zrange(keys.workers, 0, -1)] == [live.worker_id]
