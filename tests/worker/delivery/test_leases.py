"""``Leases``: holds pushed a lease ahead while held, left alone once recorded or let go."""

from __future__ import annotations

import asyncio

from switchboard.config import ARQ_IN_PROGRESS_KEY_PREFIX, Redis, RedisKeys
from switchboard.testing.waiting import wait_for_async
from switchboard.worker.delivery.leases import Leases


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_held_delivery_is_pushed_a_lease_ahead(
    redis_client: Redis, keys: RedisKeys
) -> None:
    clock = Clock()
    leases = Leases(redis_client, keys, 10.0, clock=clock)
    until = leases.until_ms()
    assert until == 1_000_010_000
    await redis_client.zadd(keys.retries, {"d1": until})
    leases.hold("d1", until)
    clock.now += 4
    await leases.renew()
    assert await redis_client.zscore(keys.retries, "d1") == 1_000_014_000
    clock.now += 4
    await leases.renew()  # renewed again from its new end
    assert await redis_client.zscore(keys.retries, "d1") == 1_000_018_000
    assert leases.held == 1


async def test_a_delivery_recorded_since_keeps_its_records_score(
    redis_client: Redis, keys: RedisKeys
) -> None:
    clock = Clock()
    leases = Leases(redis_client, keys, 10.0, clock=clock)
    until = leases.until_ms()
    leases.hold("rescheduled", until)
    leases.hold("done", until)
    # The attempt's record moved one to its next retry and took the other out of the set.
    await redis_client.zadd(keys.retries, {"rescheduled": until + 300_000})
    clock.now += 4
    await leases.renew()
    assert await redis_client.zscore(keys.retries, "rescheduled") == until + 300_000
    assert await redis_client.zscore(keys.retries, "done") is None  # not put back
    assert leases.held == 0  # neither is held any longer


async def test_a_delivery_let_go_is_not_renewed(redis_client: Redis, keys: RedisKeys) -> None:
    clock = Clock()
    leases = Leases(redis_client, keys, 10.0, clock=clock)
    until = leases.until_ms()
    await redis_client.zadd(keys.retries, {"d1": until})
    leases.hold("d1", until)
    leases.let_go("d1")
    clock.now += 4
    await leases.renew()
    assert await redis_client.zscore(keys.retries, "d1") == until


async def test_running_jobs_marks_are_renewed_and_ended_ones_not_made_again(
    redis_client: Redis, keys: RedisKeys
) -> None:
    leases = Leases(redis_client, keys, 10.0)
    running, ended = (ARQ_IN_PROGRESS_KEY_PREFIX + i for i in ("job-1", "job-2"))
    await redis_client.set(running, b"1", px=500)
    await leases.renew(jobs=["job-1", "job-2"])
    assert 9_000 < await redis_client.pttl(running) <= 10_000
    assert not await redis_client.exists(ended)


async def test_run_renews_until_stopped(redis_client: Redis, keys: RedisKeys) -> None:
    leases = Leases(redis_client, keys, 0.2)  # renewed every 50 ms
    mark = ARQ_IN_PROGRESS_KEY_PREFIX + "job-1"
    await redis_client.set(mark, b"1", px=200)
    stop = asyncio.Event()
    task = asyncio.create_task(leases.run(stop, jobs=lambda: ["job-1"]))
    try:
        # Well past the mark's first 200 ms: only renewals can keep it.
        for _ in range(3):
            await redis_client.pexpire(mark, 100)
            await wait_for_async(
                lambda: _ttl_above(redis_client, mark, 150), what="the mark renewed"
            )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert task.result() is None


async def _ttl_above(redis_client: Redis, key: str, ms: int) -> bool:
    return bool(await redis_client.pttl(key) > ms)
