"""Deliveries recorded as a worker records them (``DeliveryLog.write``), at chosen times:
what a configuration's recent attempts (its ``config_attempts`` list) are seeded from."""

from __future__ import annotations

from support.env import TEST_SECRET_KEY
from switchboard.config import Redis, RedisKeys, SecretBox
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import Attempt, DeliveryLog, DeliveryRecord, DeliveryStatus
from switchboard.worker.delivery.sealing import RequestSealer
from switchboard.worker.delivery.vocabulary import ErrorClass

__all__ = ["record_attempt"]


async def record_attempt(
    redis: Redis,
    keys: RedisKeys,
    *,
    config_id: str,
    at: float,
    ok: bool,
    event_id: str,
    tenant: str | None = None,
) -> DeliveryRecord:
    """One delivery of ``event_id`` to ``config_id``, its one attempt ending at ``at``:
    delivered (200), or dead (500) when not ``ok``."""
    attempt = Attempt(
        number=1,
        at=at,
        status=200 if ok else 500,
        ms=4.0,
        error=None if ok else "HTTP 500",
        error_class=None if ok else ErrorClass.HTTP,
    )
    record = DeliveryRecord(
        id=delivery_id(event_id, config_id),
        event_id=event_id,
        event_type="review.published",
        tenant=tenant,
        config_id=config_id,
        integration_id="switchboard.webhook",
        request=RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(
            DeliveryRequest(url="http://127.0.0.1:9/hook", body=b"{}")
        ),
        status=DeliveryStatus.DELIVERED if ok else DeliveryStatus.DEAD,
        attempts=(attempt,),
        created_at=at,
        updated_at=at,
        dead_reason=None if ok else "HTTP 500",
    )
    log = DeliveryLog(redis, keys, retention=3600, clock=lambda: at)
    async with redis.pipeline(transaction=True) as pipe:
        log.write(pipe, record, attempt, was=DeliveryStatus.PENDING)
        await pipe.execute()
    return record
