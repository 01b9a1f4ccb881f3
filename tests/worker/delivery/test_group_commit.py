"""``GroupCommit``: deliveries ending together share one transaction and one script call,
and each writer gets its own replies back."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError
from support.env import TEST_SECRET_KEY

from switchboard.config import Redis, RedisKeys, SecretBox
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import Attempt, DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.delivery.group_commit import Fill, GroupCommit
from switchboard.worker.delivery.repository import RecordWrite
from switchboard.worker.delivery.sealing import RequestSealer
from switchboard.worker.delivery.vocabulary import HealthChange

NOW = 1_000_000.0


def failed(event_id: str, config_id: str) -> tuple[DeliveryRecord, Attempt]:
    attempt = Attempt(number=1, at=NOW, status=500, ms=3.0, body="no")
    record = DeliveryRecord(
        id=delivery_id(event_id, config_id),
        event_id=event_id,
        event_type="order.paid",
        config_id=config_id,
        integration_id="switchboard.webhook",
        request=RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(
            DeliveryRequest(url="http://127.0.0.1:9/hook", body=b"{}")
        ),
        status=DeliveryStatus.RETRYING,
        attempts=(attempt,),
        next_attempt_at=NOW + 5,
        created_at=NOW,
        updated_at=NOW,
    )
    return record, attempt


async def eval_calls(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_eval", {}).get("calls", 0))


async def test_writers_together_share_one_script_call_and_get_their_own_replies(
    redis_client: Redis, keys: RedisKeys
) -> None:
    log = DeliveryLog(redis_client, keys, retention=3600, clock=lambda: NOW)
    commits = GroupCommit(redis_client, log)
    # Config a fails twice, config b once: each failure's reply is its own config's streak.
    writes = [failed("e1", "cfg_a"), failed("e2", "cfg_a"), failed("e3", "cfg_b")]
    before = await eval_calls(redis_client)

    def filler(n: int, record: DeliveryRecord, attempt: Attempt) -> Fill:
        def fill(pipe: Pipeline) -> RecordWrite:
            if n == 1:  # commands of its own, beside the record
                pipe.set("marker", "1")
                pipe.get("marker")
            return log.prepare(
                record,
                attempt,
                was=DeliveryStatus.PENDING,
                health=HealthChange.FAILURE,
                health_ttl=60,
            )

        return fill

    def count(pipe: Pipeline) -> None:
        pipe.incr("counter")  # no record at all

    replies = await asyncio.gather(
        *[
            commits.execute(filler(n, record, attempt))
            for n, (record, attempt) in enumerate(writes)
        ],
        commits.execute(count),
    )
    assert await eval_calls(redis_client) == before + 1
    assert [int(reply.record[0]) for reply in replies[:3]] == [1, 2, 1]
    assert [reply.commands for reply in replies[:3]] == [[], [True, b"1"], []]
    assert replies[3].record is None
    assert replies[3].commands == [1]
    for record, _ in writes:
        stored = await log.get(record.id)
        assert stored is not None
        assert stored.status is DeliveryStatus.RETRYING
        assert await redis_client.zscore(keys.retries, record.id) == (NOW + 5) * 1000
    assert len(await log.config_attempts("cfg_a")) == 2


async def test_a_failed_transaction_fails_every_writer_in_it(
    redis_client: Redis, keys: RedisKeys
) -> None:
    log = DeliveryLog(redis_client, keys, retention=3600, clock=lambda: NOW)
    commits = GroupCommit(redis_client, log)
    await redis_client.set("a string", "x")
    record, attempt = failed("e1", "cfg_a")

    def wrong_type(pipe: Pipeline) -> None:
        pipe.lpush("a string", "wrong type")

    outcomes = await asyncio.gather(
        commits.execute(lambda _: log.prepare(record, attempt)),
        commits.execute(wrong_type),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, ResponseError) for outcome in outcomes)


async def test_a_lone_write_is_committed_and_answered_alone(
    redis_client: Redis, keys: RedisKeys
) -> None:
    log = DeliveryLog(redis_client, keys, retention=3600, clock=lambda: NOW)
    commits = GroupCommit(redis_client, log)
    record, attempt = failed("e1", "cfg_a")
    reply = await asyncio.wait_for(
        commits.execute(lambda _: log.prepare(record, attempt)), timeout=5
    )
    assert reply.record == 0
    assert reply.commands == []
    assert await log.get(record.id) == record


@pytest.mark.parametrize("count", [1, 256])
async def test_write_many_answers_once_per_record(
    redis_client: Redis, keys: RedisKeys, count: int
) -> None:
    log = DeliveryLog(redis_client, keys, retention=3600, clock=lambda: NOW)
    records = [failed(f"e{n}", f"cfg_{n % 7}") for n in range(count)]
    async with redis_client.pipeline(transaction=True) as pipe:
        log.write_many(pipe, [log.prepare(record, attempt) for record, attempt in records])
        (replies,) = await pipe.execute()
    assert replies == [0] * count
    assert len(await log.get_many([record.id for record, _ in records])) == count
