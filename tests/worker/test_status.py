"""``switchboard status`` and ``read_status``: counters from Redis, in one screen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson
from click.testing import CliRunner
from support.cli import invoke, ok
from support.env import TEST_ENV
from support.webhooks import add_webhook

from switchboard.config import ConfigStore, Redis, RedisKeys, Settings
from switchboard.integrations import delivery_id
from switchboard.worker import DeliveryRecord, EventClient, StatusReport, read_status
from switchboard.worker.delivery import DeliveryLog
from switchboard.worker.heartbeat import HeartbeatWriter, WorkerLoad
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog

#: An hour ago: two of the retries are due now, the third in an hour.
T0 = time.time() - 3600


async def _seed(settings: Settings, store: ConfigStore, redis: Redis, keys: RedisKeys) -> None:
    """Two queued jobs (no worker runs), three scheduled retries of which two are due,
    one dead letter, two rejected events, and three configurations of which two are on."""
    async with EventClient(settings.model_copy(update={"emit_linger": 0})) as client:
        await client.emit("a.b", {})
        await client.emit_many([{"type": "a.b"}, {"type": "a.c"}])
    for name, enabled in (("one", True), ("two", True), ("three", False)):
        await add_webhook(store, name, "http://127.0.0.1:9/", enabled=enabled)
    log = DeliveryLog(redis, keys, retention=3600, clock=lambda: T0)
    for n, (status, next_at) in enumerate(
        [("retrying", T0 - 5), ("retrying", T0), ("retrying", T0 + 7200), ("dead", None)]
    ):
        record = DeliveryRecord(
            id=delivery_id(f"evt_{n}", "cfg_x"),
            event_id=f"evt_{n}",
            event_type="a.b",
            config_id="cfg_x",
            integration_id="switchboard.webhook",
            request={},
            status=status,  # type: ignore[arg-type]  # a literal of the right values
            created_at=T0,
            updated_at=T0,
            next_attempt_at=next_at,
        )
        async with redis.pipeline(transaction=True) as pipe:
            log.write(pipe, record, None)
            await pipe.execute()
    await RejectedEventLog(redis, keys).record(
        [RejectedEvent(reason="not JSON"), RejectedEvent(reason="too large")]
    )


async def test_read_status_counts_everything_in_one_round_trip(
    settings: Settings, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    await _seed(settings, store, redis_client, keys)
    oldest = (await redis_client.zrange(settings.effective_queue_name, 0, 0, withscores=True))[0]
    queued_at = oldest[1] / 1000

    # One worker beat 10 s before the report, one 60 s before (outside the 30 s window).
    for beat_at in (queued_at + 80, queued_at + 30):
        writer = HeartbeatWriter(keys, interval=5, load=WorkerLoad, clock=lambda t=beat_at: t)
        await writer.beat(redis_client)

    report = await read_status(redis_client, settings, clock=lambda: queued_at + 90)

    assert report == StatusReport(
        queued_jobs=2,
        oldest_job_age_s=90.0,
        retries_scheduled=3,
        retries_due=2,
        dead_letters=1,
        rejected_events=2,
        configs_enabled=2,
        configs_total=3,
        workers_alive=1,
    )
    in_two_hours = await read_status(redis_client, settings, clock=lambda: T0 + 7200)
    assert in_two_hours.retries_due == 3


async def test_an_empty_queue_has_no_oldest_job(settings: Settings, redis_client: Redis) -> None:
    report = await read_status(redis_client, settings)
    assert report.queued_jobs == 0
    assert report.oldest_job_age_s is None


def _cli_env(settings: Settings) -> dict[str, str]:
    return {"REDIS_URL": settings.effective_redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}


async def test_the_command_prints_one_screen_and_json(
    settings: Settings, store: ConfigStore, redis_client: Redis, keys: RedisKeys
) -> None:
    await _seed(settings, store, redis_client, keys)
    await HeartbeatWriter(keys, interval=5, load=WorkerLoad).beat(redis_client)
    runner = CliRunner(env={**TEST_ENV, **_cli_env(settings)})

    lines = (await _in_a_thread(lambda: ok(runner, "status"))).splitlines()

    assert lines[2:] == [
        "queued jobs:       2",
        lines[3],  # the oldest job's age moves with the clock
        "retries scheduled: 3 (2 due now)",
        "dead letters:      1",
        "rejected events:   2",
        "configurations:    2 enabled of 3",
        "workers alive:     1",
    ]
    assert lines[3].startswith("oldest queued job: ")
    assert lines[3].endswith(" s")
    data = orjson.loads(await _in_a_thread(lambda: ok(runner, "status", "--json")))
    assert data["queued_jobs"] == 2
    assert data["configs_total"] == 3
    assert set(data) == set(StatusReport.__dataclass_fields__)


async def _in_a_thread(call: Callable[[], str]) -> str:
    """The CLI runs its own event loop: run it beside this test's."""
    return await asyncio.to_thread(call)


def test_the_command_with_redis_unreachable_exits_1() -> None:
    result = invoke(CliRunner(), "status", env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.exit_code == 1
    assert "Redis is unreachable at redis://127.0.0.1:1/0" in result.stderr
