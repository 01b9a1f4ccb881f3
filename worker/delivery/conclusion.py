"""``Conclusion``: how every attempt ends, and how a delivery is put off without one.

``conclude``: the policy's decision (with the integration's verdict and retry
schedule), the attempt in the log, the record with its indexes, retry or dead
letter, its configuration's recent attempts and failing streak, and a
``switchboard.delivery.exhausted`` for a new dead letter, in one write shared
with the attempts ending at the same moment (``GroupCommit``); then health
(disabling), the circuit and the log line. ``schedule``: the record due again
at a ``Wait``'s end, saying why, with no attempt counted.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence

from redis.asyncio.client import Pipeline

from switchboard.integrations import (
    DeliveryResponse,
    DeliveryResult,
    IntegrationConfig,
    Verdict,
)

from ..logs import fields
from .circuit import CircuitBreakers
from .exchange import Exchange
from .group_commit import GroupCommit
from .health import EndpointHealth
from .internal_events import InternalEvents
from .log_line import log_delivery
from .policy import Decision, decide
from .records import Attempt, DeliveryRecord
from .repository import DeliveryLog, RecordWrite
from .tuning import RetryTuning
from .vocabulary import OUTCOME_OF, DeliveryStatus, HealthChange, Wait, WaitReason

__all__ = ["Conclusion"]

logger = logging.getLogger("switchboard.worker.delivery")


class Conclusion:
    def __init__(
        self,
        tuning: RetryTuning,
        *,
        log: DeliveryLog,
        commits: GroupCommit,
        circuits: CircuitBreakers,
        health: EndpointHealth,
        events: InternalEvents,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._tuning = tuning
        self._log = log
        self._commits = commits
        self._circuits = circuits
        self._health = health
        self._events = events
        self._clock = clock
        self._rng = rng

    async def schedule(self, record: DeliveryRecord, wait: Wait) -> DeliveryRecord:
        """Due again when ``wait`` ends, no attempt counted; a rate limit's wait holds the
        slot it reserved (the retry uses it)."""
        until = self._clock() + wait.seconds
        deferred = record.model_copy(
            update={
                "status": DeliveryStatus.RETRYING,
                "next_attempt_at": until,
                "waiting_for": wait.reason,
                # A rate slot is spent once its time comes: a later deferral takes a new one.
                "rate_slot_at": until if wait.reason is WaitReason.RATE_LIMIT else None,
                "updated_at": self._clock(),
            }
        )
        await self._commits.execute(lambda _: self._log.prepare(deferred, None))
        return deferred

    async def conclude(
        self, record: DeliveryRecord, config: IntegrationConfig | None, exchange: Exchange
    ) -> DeliveryResult:
        now = self._clock()
        number = len(record.attempts) + 1
        throttled = sum(1 for earlier in record.attempts if earlier.status == 429)
        decision = self._decide(
            config, exchange, number, now, manual=record.replay_pending, throttled=throttled
        )
        next_at = now + decision.delay if decision.delay is not None else None
        response = exchange.response
        attempt = Attempt(
            number=number,
            at=now,
            status=response.status if response is not None else None,
            ms=round(exchange.duration * 1000, 1),
            error=exchange.error,
            error_class=exchange.error_class,
            body=response.body.decode(errors="replace") if response is not None else "",
            next_attempt_at=next_at,
            manual=record.replay_pending,
        )
        updated = record.model_copy(
            update={
                "status": decision.status,
                "attempts": (*record.attempts, attempt),
                "updated_at": now,
                "next_attempt_at": next_at,
                "dead_reason": decision.reason,
                "replay_pending": False,
                "rate_slot_at": None,
                "waiting_for": None,
            }
        )
        disable_reason = await self._save(updated, attempt, decision, now, was=record.status)
        if disable_reason is not None and config is not None:
            await self._health.disable(config, disable_reason)
        result = exchange.result(record.id, OUTCOME_OF[decision.status], number)
        if config is not None:
            self._circuits.observe(config, decision.endpoint, exchange.error)
            log_delivery(result, config, record.event_id, exchange.host)
        return result

    def _decide(
        self,
        config: IntegrationConfig | None,
        exchange: Exchange,
        number: int,
        now: float,
        *,
        manual: bool,
        throttled: int,
    ) -> Decision:
        verdict = hint = None
        schedule: Sequence[float] = self._tuning.schedule
        if config is not None:
            if exchange.response is not None:
                verdict = _verdict(config, exchange.response)
                hint = _retry_hint(config, exchange.response)
            if config.integration.retry_schedule is not None:  # () means: no retries
                schedule = config.integration.retry_schedule
        return decide(
            exchange,
            number,
            verdict=verdict,
            schedule=schedule,
            tuning=self._tuning,
            now=now,
            manual_replay=manual,
            throttled=throttled,
            retry_hint=hint,
            rng=self._rng,
        )

    async def _save(
        self,
        record: DeliveryRecord,
        attempt: Attempt,
        decision: Decision,
        now: float,
        *,
        was: DeliveryStatus,
    ) -> str | None:
        """Write everything in one transaction, shared with the deliveries ending at the same
        time (group commit); returns why to disable the configuration, if it should be."""

        def fill(pipe: Pipeline) -> RecordWrite:
            if record.status is DeliveryStatus.DEAD:
                self._events.delivery_exhausted(pipe, record)
            return self._log.prepare(
                record, attempt, was=was, health=decision.health, health_ttl=self._health.streak_ttl
            )

        reply = await self._commits.execute(fill)
        if decision.disable_reason is not None:
            return decision.disable_reason
        if decision.health is not HealthChange.FAILURE:
            return None
        failures, failing_since = int(reply.record[0]), float(reply.record[1])
        return self._health.reason_to_disable(failures, failing_since, now)


def _verdict(config: IntegrationConfig, response: DeliveryResponse) -> Verdict | None:
    """The integration's judgement; its own exception means no judgement (default rules)."""
    try:
        return config.integration.classify_response(config, response)
    except Exception:
        logger.exception(
            "classify_response failed", extra=fields(integration=config.integration_id)
        )
        return None


def _retry_hint(config: IntegrationConfig, response: DeliveryResponse) -> float | None:
    """The integration's reading of how long to wait; its own exception means none."""
    if response.ok:
        return None
    try:
        hint = config.integration.retry_after(config, response)
    except Exception:
        logger.exception("retry_after failed", extra=fields(integration=config.integration_id))
        return None
    return float(hint) if isinstance(hint, int | float) else None
