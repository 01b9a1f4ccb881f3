"""At-least-once: a worker killed mid-burst loses nothing; an event id emitted twice goes once."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
import redis
from support.env import TEST_SECRET_KEY
from support.webhooks import add_webhook
from support.workers import WorkerProcess, running_worker

from switchboard.config import (
    EVENT_DEDUP_TTL,
    ConfigStore,
    EmbeddedRedis,
    Redis,
    RedisKeys,
    Settings,
    open_redis,
)
from switchboard.integrations import Event, delivery_id
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for, wait_for_async
from switchboard.worker import EventClient
from switchboard.worker.jobs import EventDeduplicator

EVENTS = 300

#: A worker whose jobs and retries another worker takes over within seconds once it dies
#: (or loses Redis): its holds on them last a lease (2 s here, 10 s by default).
QUICK_RECOVERY = {
    "SWITCHBOARD_HANDLER_TIMEOUT": "1",
    "SWITCHBOARD_JOB_TIMEOUT_MARGIN": "0.5",
    "SWITCHBOARD_LEASE": "2",
}


@pytest.mark.slow
async def test_sigkill_mid_burst_loses_nothing(
    settings: Settings, store: ConfigStore, keys: RedisKeys, redis_url: str, tmp_path: Path
) -> None:
    raw_redis = redis.Redis.from_url(redis_url)
    env = {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest", **QUICK_RECOVERY}
    async with RecordingSink() as sink:
        sink.on("/slow", delay=0.05)
        config = await add_webhook(store, "slow", sink.url("/slow"))
        first = WorkerProcess(env, tmp_path / "first.log")
        try:
            await first.wait_for_log("worker started")
            async with EventClient(settings) as client:
                ids = [await client.emit("review.published", {"n": n}) for n in range(EVENTS)]
            await sink.wait_for_count(50)
            first.signal(signal.SIGKILL)
            assert await first.wait_exit() == -signal.SIGKILL
        finally:
            first.kill()
        assert len(sink.received) < EVENTS  # it really died mid-burst
        second = WorkerProcess(env, tmp_path / "second.log")
        try:
            # Distinct events, not requests: a duplicate must not stand in for a missing one.
            await wait_for(
                lambda: {r.json["id"] for r in sink.received} >= set(ids),
                timeout=60,
                what="every event at the sink",
            )
            delivered = {r.json["id"] for r in sink.received}
            record_keys = [keys.delivery(delivery_id(i, config.id)) for i in ids]
            await wait_for(
                lambda: all(
                    raw is not None and orjson.loads(raw)["status"] == "delivered"
                    for raw in raw_redis.mget(record_keys)
                ),
                timeout=30,
                what="every delivery recorded as delivered",
            )
        finally:
            second.kill()
    assert delivered == set(ids)
    # Duplicates (an attempt the killed worker made but never recorded) keep their id.
    delivery_ids: defaultdict[str, set[str]] = defaultdict(set)
    for request in sink.received:
        delivery_ids[request.json["id"]].add(request.headers["webhook-id"])
    assert all(len(seen) == 1 for seen in delivery_ids.values())


@pytest.mark.slow
async def test_a_killed_workers_attempt_goes_on_elsewhere_within_15_s_by_default(
    settings: Settings, store: ConfigStore, keys: RedisKeys, redis_url: str, tmp_path: Path
) -> None:
    """With the default lease (10 s): while its worker lives, an attempt in the background
    stays its own however long it lasts (renewed, never taken by the healthy worker
    beside it); once the worker is SIGKILLed, the other sends it within 15 s."""
    raw_redis = redis.Redis.from_url(redis_url)
    env = {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}
    async with RecordingSink() as sink:
        gate = sink.on("/hang", gate=asyncio.Event()).gate
        assert gate is not None
        config = await add_webhook(store, "hang", sink.url("/hang"))
        first = WorkerProcess(env, tmp_path / "first.log")
        second: WorkerProcess | None = None
        try:
            await first.wait_for_log("worker started")
            async with EventClient(settings) as client:
                event_id = await client.emit("review.published", {"n": 1})
            the_id = delivery_id(event_id, config.id)
            await wait_for(lambda: sink.arrived == 1, what="the attempt at the endpoint")
            held = await wait_for(
                lambda: _score(raw_redis, keys.retries, the_id), what="the safety net's hold"
            )
            second = WorkerProcess(env, tmp_path / "second.log")
            await second.wait_for_log("worker started")
            # Two renewals (a lease and a half of time): past the first hold's end, and the
            # second worker has had every chance to take the delivery and did not.
            renewed = await wait_for(
                lambda: _score(raw_redis, keys.retries, the_id, above=held + 5_000),
                timeout=15,
                what="the hold renewed twice",
            )
            assert renewed > time.time() * 1000  # never came due
            assert sink.arrived == 1
            first.signal(signal.SIGKILL)
            killed = time.monotonic()
            assert await first.wait_exit() == -signal.SIGKILL
            gate.set()
            await wait_for(
                lambda: b'"delivered"' in (raw_redis.get(keys.delivery(the_id)) or b""),
                timeout=20,
                what="the delivery sent by the second worker",
            )
            taken_over_in = time.monotonic() - killed
        finally:
            first.kill()
            if second is not None:
                second.kill()
    assert taken_over_in < 15
    assert sink.arrived == 2  # the killed worker's attempt, and the second's
    # Answered: the second's, and the first's too if its handler outlived the connection.
    assert {r.headers["webhook-id"] for r in sink.received} == {the_id}


def _score(client: redis.Redis, key: str, member: str, above: float = 0) -> float | None:
    score = client.zscore(key, member)
    return score if score is not None and score > above else None


async def test_an_event_id_emitted_twice_is_dispatched_once(
    settings: Settings, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    async with RecordingSink() as sink:
        await add_webhook(store, "w", sink.url("/w"))
        async with running_worker(settings), EventClient(settings) as client:
            await client.emit("review.published", {"n": 1}, event_id="evt-once")
            # Two jobs in the queue together run concurrently, either one's dedup first: the
            # second is emitted once the first job has claimed the id, so the first is first.
            await wait_for_async(
                lambda: redis_client.exists(keys.event_seen("evt-once")),
                what="the first job to claim the event id",
            )
            await client.emit("review.published", {"n": 2}, event_id="evt-once")
            await client.emit("review.published", {"n": 3}, event_id="evt-other")
            await sink.wait_for_count(2)
            # The duplicate was dispatched (or skipped) by now: the worker logs each.
            await client.emit("review.published", {"n": 4}, event_id="evt-last")
            await sink.wait_for_count(3)
    assert sorted(r.json["id"] for r in sink.received) == ["evt-last", "evt-once", "evt-other"]
    assert [r.json["data"]["n"] for r in sink.received if r.json["id"] == "evt-once"] == [1]


async def test_a_job_run_again_keeps_its_events_another_job_does_not(
    redis_client: Redis, keys: RedisKeys
) -> None:
    dedup = EventDeduplicator(redis_client, keys)
    e1, e2, e3 = (Event(id=f"e{n}", type="a.b") for n in (1, 2, 3))
    assert await dedup.fresh([e1, e2], "job-1") == [e1, e2]
    assert await dedup.fresh([e1, e2], "job-1") == [e1, e2]  # the same job, run after a crash
    assert await dedup.fresh([e1, e2, e3], "job-2") == [e3]
    assert 0 < await redis_client.ttl(keys.event_seen("e1")) <= EVENT_DEDUP_TTL


async def test_the_same_id_twice_in_one_job_is_dispatched_once(
    redis_client: Redis, keys: RedisKeys
) -> None:
    dedup = EventDeduplicator(redis_client, keys)
    first, copy, other = (
        Event(id="d1", type="a.b"),
        Event(id="d1", type="a.c"),
        Event(id="d2", type="a.b"),
    )
    assert await dedup.fresh([first, other, copy], "job-9") == [first, other]


async def test_ids_are_per_tenant_so_one_tenants_key_never_drops_anothers_event(
    redis_client: Redis, keys: RedisKeys
) -> None:
    """Two tenants' apps choosing the same Idempotency-Key (``order-42``) each get their event
    dispatched; within a tenant the id still dedupes, and tenant names with a colon cannot
    spell another pair's key."""
    dedup = EventDeduplicator(redis_client, keys)
    acme, globex, none = (
        Event(id="order-42", type="a.b", tenant=t) for t in ("acme", "globex", None)
    )
    assert await dedup.fresh([acme], "job-1") == [acme]
    assert await dedup.fresh([globex, none], "job-2") == [globex, none]
    assert await dedup.fresh([acme, globex, none], "job-3") == []
    a_b = Event(id="c", type="a.b", tenant="a:b")
    a = Event(id="b:c", type="a.b", tenant="a")
    assert await dedup.fresh([a_b], "job-4") == [a_b]
    assert await dedup.fresh([a], "job-5") == [a]


@pytest.mark.slow
async def test_a_redis_restart_mid_burst_loses_nothing(tmp_path: Path) -> None:
    """Redis (with its append-only file, as `switchboard dev` runs it) restarts while the
    worker is busy: the worker waits for it, and every accepted event is delivered."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = EmbeddedRedis(data_dir=tmp_path / "redis", port=port)
    server.start()
    settings = Settings(
        redis_url=server.url,
        key_prefix="sbtest",
        secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
    )
    env = {"REDIS_URL": server.url, "SWITCHBOARD_KEY_PREFIX": "sbtest", **QUICK_RECOVERY}
    worker = None
    try:
        async with RecordingSink() as sink:
            sink.on("/slow", delay=0.02)
            async with open_redis(settings) as client:
                await add_webhook(
                    ConfigStore.for_settings(client, settings), "w", sink.url("/slow")
                )
            worker = WorkerProcess(env, tmp_path / "worker.log")
            await worker.wait_for_log("worker started")
            async with EventClient(settings) as client:
                ids = await client.emit_many(
                    [{"type": "a.b", "data": {"n": n}} for n in range(EVENTS)]
                )
            await sink.wait_for_count(30)
            server.stop()
            await worker.wait_for_log("Redis is unreachable")
            server.start()
            await wait_for(
                lambda: {r.json["id"] for r in sink.received} >= set(ids),
                timeout=60,
                what="every event after the restart",
            )
    finally:
        if worker is not None:
            worker.kill()
        server.stop()
    assert worker.log.count("worker started") >= 2
