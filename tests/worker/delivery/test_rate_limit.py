"""A configuration's rate limit holds across workers, and waiting costs no attempt."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import redis
from support.webhooks import add_webhook
from support.workers import WorkerProcess

from switchboard.config import ConfigStore, RedisKeys, Settings
from switchboard.integrations import delivery_id
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for
from switchboard.worker import EventClient
from switchboard.worker.delivery.rate_limit import RateLimiter

RATE = 10.0
EVENTS = 20


async def test_reservations_space_out_slots(
    redis_client: redis.asyncio.Redis, keys: RedisKeys
) -> None:
    limiter = RateLimiter(redis_client, keys)
    waits = [await limiter.reserve("cfg_x", RATE, now=1000.0) for _ in range(4)]
    assert waits == [0.0, 0.1, 0.2, 0.3]
    assert await limiter.reserve("cfg_x", RATE, now=1000.35) == 0.05
    assert await limiter.reserve("cfg_other", RATE, now=1000.0) == 0.0  # per configuration
    assert await limiter.reserve("cfg_x", RATE, now=2000.0) == 0.0  # idle time is not banked


@pytest.mark.slow
async def test_two_workers_share_one_limit(
    settings: Settings, store: ConfigStore, keys: RedisKeys, redis_url: str, tmp_path: Path
) -> None:
    env = {
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": "sbtest",
        # One job and one retry at a time each, so that both workers take a share.
        "SWITCHBOARD_WORKER_CONCURRENCY": "1",
        "SWITCHBOARD_RETRY_CONCURRENCY": "1",
    }
    async with RecordingSink() as sink:
        config = await add_webhook(store, "limited", sink.url("/limited"), rate_limit=RATE)
        workers = [WorkerProcess(env, tmp_path / f"w{n}.log") for n in range(2)]
        try:
            for worker in workers:
                await worker.wait_for_log("worker started")
            async with EventClient(settings) as client:
                ids = [await client.emit("review.published", {"n": n}) for n in range(EVENTS)]
            received = await sink.wait_for_count(EVENTS, timeout=30)
            raw = redis.Redis.from_url(redis_url)
            record_keys = [keys.delivery(delivery_id(i, config.id)) for i in ids]
            await wait_for(
                lambda: all(
                    r is not None and orjson.loads(r)["status"] == "delivered"
                    for r in raw.mget(record_keys)
                ),
                what="every delivery recorded",
            )
            records = [orjson.loads(r) for r in raw.mget(record_keys)]
            raw.close()
        finally:
            for worker in workers:
                worker.kill()
    assert sorted(r.json["id"] for r in received) == sorted(ids)
    assert all("delivery delivered" in worker.log for worker in workers)  # both delivered
    # 20 at 10 per second: at least 1.9 s from first to last (less the scheduler's 0.25 s
    # polling, which may send a few due slots together).
    arrivals = sorted(r.at for r in received)
    assert arrivals[-1] - arrivals[0] >= (EVENTS - 1) / RATE - 0.3
    # Waiting for a slot used up no attempt.
    assert [len(record["attempts"]) for record in records] == [1] * EVENTS
