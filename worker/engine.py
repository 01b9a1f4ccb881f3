"""The delivery engine behind ``Integration.send()``: attempt, decide, record, retry.

``deliver()`` (the ``Deliverer`` protocol) makes the first attempt inline and
records it; a failure is scheduled again on the retry schedule and picked up
by a worker's ``RetryScheduler``, which calls ``retry()``. Every attempt ends
in one MULTI/EXEC that writes the delivery record, its indexes, the
configuration's recent attempts and health, and any internal event
(``switchboard.delivery.exhausted``, ``switchboard.config.disabled``).

Idempotency: a delivery's id is derived from (event, configuration, key). When
a queue job runs again (its worker died), ``RERUN`` is set and a delivery
already recorded is not sent again: its record answers instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio.client import Pipeline

from switchboard.config import (
    ConfigNotFoundError,
    ConfigStore,
    RecordFormatError,
    Redis,
    SecretBox,
    SecretKeyError,
    Settings,
)
from switchboard.integrations import (
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResponse,
    DeliveryResult,
    Event,
    IntegrationConfig,
    IntegrationManager,
    Verdict,
    delivery_id,
)

from .circuit_breaker import CircuitBreakers
from .delivery import QUEUE_WAIT_MAX, Attempted, HttpDeliverer, log_delivery
from .delivery_log import Attempt, DeliveryLog, DeliveryRecord, HealthChange, RequestSealer
from .dispatcher import DELIVERIES_ASKED
from .group_commit import GroupCommit
from .logs import fields
from .queue import EventEncoder
from .rate_limit import RateLimiter
from .retry_policy import Decision, Next, decide
from .slots import Slots

__all__ = [
    "DELIVERIES_IN_PROGRESS_PER_CONNECTION",
    "HOST_BUSY_DELAY",
    "INLINE_ATTEMPT_BUDGET",
    "INLINE_WAIT_MAX",
    "RERUN",
    "UNKNOWN_CONFIG_DELAY",
    "DeliveryEngine",
]

logger = logging.getLogger(__name__)

#: Set while a queue job runs for a second time or more: deliveries check their record first.
RERUN: contextvars.ContextVar[bool] = contextvars.ContextVar("switchboard_rerun", default=False)

#: A rate-limit wait up to this long (s) is waited inline; a longer one is deferred.
INLINE_WAIT_MAX = 0.25
#: The least time after which an attempt that found no slot (a slow host, a busy worker) is
#: tried again (longer for a host whose requests have been out longer: ``_host_busy``).
HOST_BUSY_DELAY = 1.0
#: A first attempt still running after this long (s) finishes in the background, so that a
#: slow or hanging endpoint holds none of the queue's job slots.
INLINE_ATTEMPT_BUDGET = 1.0
#: First attempts a worker has in progress at once, per connection it may open: enough for
#: every connection to be busy while as many attempts again wait for a busy host's slots.
#: A job of 100 events at fan-out 10 asks for 1,000 deliveries at once, and 16 such jobs
#: for 16,000: letting them all in cost 2.5 times the CPU per delivery (bench/).
DELIVERIES_IN_PROGRESS_PER_CONNECTION = 2
#: A retry whose configuration this worker does not know (yet) is handed back for this long.
UNKNOWN_CONFIG_DELAY = 5.0

# Why a delivery waits for its next attempt without one counted (``waiting_for``).
CIRCUIT_OPEN = "circuit open"
RATE_LIMITED = "rate limit"
HOST_BUSY = "host busy"
ATTEMPT_IN_BACKGROUND = "attempt in progress"
CONFIG_NOT_HERE = "configuration not loaded here"

_STATUS_OF: dict[Next, Any] = {
    Next.DELIVERED: "delivered",
    Next.RETRY: "retrying",
    Next.DEAD: "dead",
}
#: Attempts that failed without an answer the way a down endpoint's do (circuit breakers).
_DOWN = frozenset({"timeout", "connect", "protocol"})
_OUTCOME_OF = {
    Next.DELIVERED: DeliveryOutcome.DELIVERED,
    Next.RETRY: DeliveryOutcome.RETRYING,
    Next.DEAD: DeliveryOutcome.FAILED,
}


class DeliveryEngine:
    """Plugged into a worker's ``IntegrationManager`` as its ``deliverer``."""

    def __init__(
        self,
        settings: Settings,
        *,
        http: HttpDeliverer,
        log: DeliveryLog,
        manager: IntegrationManager,
        store: ConfigStore,
        redis: Redis,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._http = http
        self._log = log
        self._manager = manager
        self._store = store
        self._redis = redis
        self._clock = clock
        self._rng = rng
        self._secrets = SecretBox.from_settings(settings)
        self._sealer = RequestSealer(self._secrets)
        self._events = EventEncoder(settings)
        self._limiter = RateLimiter(redis, log.keys)
        self._commits = GroupCommit(redis)
        self._breakers = CircuitBreakers(
            failures=settings.circuit_breaker_failures,
            cooldown=settings.circuit_breaker_cooldown,
            clock=clock,
        )
        self._background: set[asyncio.Task[None]] = set()
        #: The retry lane: retries wait here, never in front of first attempts.
        self.retry_lane = Slots(settings.retry_concurrency)
        #: First attempts in progress: in a backlog, the rest wait here, before they cost a
        #: record, an encryption or a task (see ``DELIVERIES_IN_PROGRESS_PER_CONNECTION``).
        self._admission = Slots(
            DELIVERIES_IN_PROGRESS_PER_CONNECTION * settings.http_max_connections
        )

    # -- first attempts (Deliverer) ----------------------------------------------------

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        asked = DELIVERIES_ASKED.get()
        if asked is not None:
            asked[0] += 1
        async with self._admission:
            return await self._first_attempt(config, event, request)

    async def _first_attempt(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        the_id = delivery_id(event.id, config.id, request.key)
        if RERUN.get():
            existing = await self._log.get(the_id)
            if existing is not None and existing.status != "pending":
                return existing.result()  # made before this job was interrupted
        now = self._clock()
        record = DeliveryRecord(
            id=the_id,
            event_id=event.id,
            event_type=event.type,
            tenant=event.tenant,
            config_id=config.id,
            integration_id=config.integration_id,
            request=self._sealer.seal(request),
            created_at=now,
            updated_at=now,
        )
        if wait := self._breakers.wait(config.id):
            return await self._defer(record, now + self._jittered(wait), CIRCUIT_OPEN)
        if config.rate_limit is not None:
            deferred = await self._wait_for_slot(record, config, now)
            if deferred is not None:
                return deferred
        sending_since: list[float] = []
        attempt = asyncio.ensure_future(
            self._http.attempt(config, the_id, request, may_defer=True, sending_since=sending_since)
        )
        # Waiting for a slot is bounded on its own (QUEUE_WAIT_MAX); the budget counts the
        # time the request has been on its way.
        try:
            while not attempt.done():
                on_the_wire = time.monotonic() - sending_since[0] if sending_since else 0.0
                await asyncio.wait({attempt}, timeout=INLINE_ATTEMPT_BUDGET - on_the_wire)
                if sending_since and time.monotonic() - sending_since[0] >= INLINE_ATTEMPT_BUDGET:
                    break
        except asyncio.CancelledError:
            # The job is being stopped (the worker is, or lost Redis): nothing will record
            # this attempt, so it must not go on alone; the job runs again and sends it.
            attempt.cancel()
            raise
        if not attempt.done():
            return await self._hand_off(record, config, attempt)
        attempted = attempt.result()
        if attempted.error_class == "host_busy":
            return await self._host_busy(record, config, attempted)
        return await self._conclude(record, config, attempted)

    async def _hand_off(
        self, record: DeliveryRecord, config: IntegrationConfig, attempt: asyncio.Future[Attempted]
    ) -> DeliveryResult:
        """A slow endpoint: let its attempt finish in the background, holding no job slot.

        The delivery is first scheduled as a retry a little after the attempt must have
        ended, so that it is sent again should this worker die before recording it.
        """
        safety_net = self._clock() + self._settings.http_timeout + QUEUE_WAIT_MAX + 5
        scheduled = await self._schedule(record, safety_net, ATTEMPT_IN_BACKGROUND)
        task = asyncio.create_task(self._finish(scheduled, config, attempt))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return scheduled.result()

    async def _finish(
        self, record: DeliveryRecord, config: IntegrationConfig, attempt: asyncio.Future[Attempted]
    ) -> None:
        try:
            attempted = await attempt
            if attempted.error_class == "host_busy":
                await self._host_busy(record, config, attempted)
            else:
                await self._conclude(record, config, attempted)
        except Exception:  # the safety net (a scheduled retry) sends it again
            logger.exception("recording a delivery failed", extra=fields(delivery_id=record.id))

    @property
    def in_background(self) -> int:
        """Attempts on their way in the background (handed off by a slow endpoint)."""
        return len(self._background)

    async def drain(self, grace: float) -> tuple[int, int]:
        """Let attempts in the background finish, for up to ``grace`` seconds, then cancel
        the rest (their safety-net retry sends them again). Jobs still finishing can hand
        off more meanwhile: those are waited for too. Returns ``(waited for, cut short)``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        waited: set[asyncio.Task[None]] = set()
        while self._background and (remaining := deadline - loop.time()) > 0:
            waited |= self._background
            await asyncio.wait(set(self._background), timeout=remaining)
        pending = set(self._background)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(waited | pending), len(pending)

    async def _wait_for_slot(
        self, record: DeliveryRecord, config: IntegrationConfig, now: float
    ) -> DeliveryResult | None:
        """Take a rate-limit slot: wait a moment for it, or defer the delivery to it
        (to the retry lane, without using up an attempt). ``None``: go ahead now."""
        assert config.rate_limit is not None
        wait = await self._limiter.reserve(config.id, config.rate_limit, now)
        if wait <= INLINE_WAIT_MAX:
            if wait > 0:
                await asyncio.sleep(wait)  # the reserved slot's time, not a synchronisation
            return None
        return await self._defer(record, now + wait, RATE_LIMITED, rate_slot=True)

    async def _host_busy(
        self, record: DeliveryRecord, config: IntegrationConfig, attempted: Attempted
    ) -> DeliveryResult:
        """No slot for the attempt: try again as much later as the host's oldest request has
        been out (a hanging host's deliveries then come back ever less often, not every
        second), between ``HOST_BUSY_DELAY`` and the timeout, by when a slot is free."""
        self._breakers.released(config.id)  # no request was made: it tells nothing
        wait = min(max(HOST_BUSY_DELAY, attempted.busy_for), self._settings.http_timeout)
        return await self._defer(record, self._clock() + self._jittered(wait), HOST_BUSY)

    async def _defer(
        self, record: DeliveryRecord, until: float, why: str, *, rate_slot: bool = False
    ) -> DeliveryResult:
        """Schedule the delivery for ``until`` without counting an attempt."""
        return (await self._schedule(record, until, why, rate_slot=rate_slot)).result()

    async def _schedule(
        self, record: DeliveryRecord, until: float, why: str, *, rate_slot: bool = False
    ) -> DeliveryRecord:
        deferred = record.model_copy(
            update={
                "status": "retrying",
                "next_attempt_at": until,
                "waiting_for": why,
                # A rate slot is spent once its time comes: a later deferral takes a new one.
                "rate_slot_at": until if rate_slot else None,
                "updated_at": self._clock(),
            }
        )
        await self._commits.execute(lambda pipe: self._log.write(pipe, deferred, None))
        return deferred

    # -- retries -----------------------------------------------------------------------

    async def retry(self, the_id: str) -> DeliveryResult | None:
        """The next attempt of a scheduled delivery (claimed by the scheduler)."""
        record = await self._log.get(the_id)
        if record is None or record.status != "retrying":
            await self._log.drop_retry(the_id)  # expired, or already concluded elsewhere
            return None
        config = self._manager.get_config(record.config_id)
        if config is None or not config.enabled:
            gone = await self._why_unusable(record.config_id)
            if gone is None:  # this worker cannot use it (yet): another may, or later
                return await self._defer(
                    record, self._clock() + UNKNOWN_CONFIG_DELAY, CONFIG_NOT_HERE
                )
            attempted = Attempted("", None, f"the configuration was {gone}", "gone", 0.0, True)
            return await self._conclude(record, config, attempted)
        try:
            request = config.integration.refresh_request(config, record.open_request(self._secrets))
        except (ValueError, SecretKeyError) as exc:
            attempted = Attempted("", None, f"cannot re-send: {exc}", "gone", 0.0, True)
            return await self._conclude(record, config, attempted)
        if wait := self._breakers.wait(config.id):
            return await self._defer(record, self._clock() + self._jittered(wait), CIRCUIT_OPEN)
        if config.rate_limit is not None and record.rate_slot_at is None:
            deferred = await self._wait_for_slot(record, config, self._clock())
            if deferred is not None:
                return deferred
        attempted = await self._http.attempt(
            config, the_id, request, lane=self.retry_lane, may_defer=True
        )
        if attempted.error_class == "host_busy":
            return await self._host_busy(record, config, attempted)
        return await self._conclude(record, config, attempted)

    async def _why_unusable(self, config_id: str) -> str | None:
        """ "deleted" or "disabled" if the store says so; ``None`` if it is just unknown here
        (its integration is not installed on this worker, or the cache is behind)."""
        try:
            stored = await self._store.get(config_id)
        except ConfigNotFoundError:
            return "deleted"
        except RecordFormatError:
            return None
        return None if stored.enabled else "disabled"

    # -- the end of every attempt ------------------------------------------------------

    async def _conclude(
        self, record: DeliveryRecord, config: IntegrationConfig | None, attempted: Attempted
    ) -> DeliveryResult:
        now = self._clock()
        number = len(record.attempts) + 1
        decision = self._decide(config, attempted, number, now)
        if record.replay_pending and decision.next is Next.RETRY:
            # A manual replay is one attempt: failing, it goes back to the dead letters.
            decision = Decision(Next.DEAD, reason=f"manual replay failed: {attempted.error}")
        next_at = now + decision.delay if decision.delay is not None else None
        response = attempted.response
        attempt = Attempt(
            number=number,
            at=now,
            status=response.status if response is not None else None,
            ms=round(attempted.duration * 1000, 1),
            error=attempted.error,
            error_class=attempted.error_class,
            body=response.body.decode(errors="replace") if response is not None else "",
            next_attempt_at=next_at,
            manual=record.replay_pending,
        )
        status = _STATUS_OF[decision.next]
        updated = record.model_copy(
            update={
                "status": status,
                "attempts": (*record.attempts, attempt),
                "updated_at": now,
                "next_attempt_at": next_at,
                "dead_reason": decision.reason if status == "dead" else None,
                "replay_pending": False,
                "rate_slot_at": None,
                "waiting_for": None,
            }
        )
        disable_reason = await self._save(updated, attempt, config, decision, now, record.status)
        if disable_reason is not None and config is not None:
            await self._disable(config, disable_reason, now)
        result = attempted.result(record.id, _OUTCOME_OF[decision.next], number)
        if config is not None:
            self._track_circuit(config, attempted)
            log_delivery(result, config, record.event_id, attempted.host)
        return result

    def _track_circuit(self, config: IntegrationConfig, attempted: Attempted) -> None:
        """Tell the configuration's circuit breaker whether its endpoint looks down."""
        response = attempted.response
        if attempted.error_class in _DOWN or (
            response is not None and (response.status >= 500 or response.status == 429)
        ):
            if opened_for := self._breakers.failed(config.id):
                logger.warning(
                    "circuit opened: deliveries wait instead of being attempted",
                    extra=fields(
                        config_id=config.id,
                        integration=config.integration_id,
                        seconds=opened_for,
                        last_error=attempted.error,
                    ),
                )
        elif response is not None:  # it answered: up, whatever it thought of the request
            if self._breakers.succeeded(config.id):
                logger.info(
                    "circuit closed: the endpoint answers again",
                    extra=fields(config_id=config.id, integration=config.integration_id),
                )
        else:
            self._breakers.released(config.id)

    def _jittered(self, seconds: float) -> float:
        """Spread what waits for one moment, so that it does not all come due at once."""
        return seconds * (1 + self._settings.retry_jitter * self._rng())

    def _decide(
        self, config: IntegrationConfig | None, attempted: Attempted, number: int, now: float
    ) -> Decision:
        verdict = None
        schedule: Sequence[float] = self._settings.retry_schedule
        if config is not None:
            if attempted.response is not None:
                verdict = _verdict(config, attempted.response)
            if config.integration.retry_schedule is not None:  # () means: no retries
                schedule = config.integration.retry_schedule
        return decide(
            attempted,
            number,
            schedule=schedule,
            verdict=verdict,
            jitter=self._settings.retry_jitter,
            retry_after_max=self._settings.retry_after_max,
            now=now,
            rng=self._rng,
        )

    async def _save(
        self,
        record: DeliveryRecord,
        attempt: Attempt,
        config: IntegrationConfig | None,
        decision: Decision,
        now: float,
        was: Any,
    ) -> str | None:
        """Write everything in one transaction, shared with the deliveries ending at the same
        time (group commit); returns why to disable the config, if so."""
        delivered = decision.next is Next.DELIVERED
        counts_for_health = attempt.error_class != "gone"  # not the endpoint's doing
        health: HealthChange | None = None
        if delivered:
            health = "clear"
        elif counts_for_health:
            health = "failure"

        def fill(pipe: Pipeline) -> None:
            self._log.write(
                pipe,
                record,
                attempt,
                was=was,
                health=health,
                health_ttl=int(self._settings.health_disable_after * 2),
            )
            # No dead letter about a dead letter: that could feed itself without end.
            if record.status == "dead" and not record.event_type.startswith("switchboard."):
                self._queue_event(
                    pipe,
                    "switchboard.delivery.exhausted",
                    {
                        "delivery_id": record.id,
                        "event_id": record.event_id,
                        "config_id": record.config_id,
                        "integration_id": record.integration_id,
                        "reason": record.dead_reason,
                        "attempts": len(record.attempts),
                    },
                    tenant=record.tenant,
                )

        replies = await self._commits.execute(fill)
        if decision.disable_reason is not None:
            return decision.disable_reason
        if delivered or not counts_for_health or config is None:
            return None
        failures, failing_since = int(replies[0][0]), float(replies[0][1])
        failing_for = now - failing_since
        if (
            failures >= self._settings.health_min_failures
            and failing_for >= self._settings.health_disable_after
        ):
            return f"failing for {_duration(failing_for)} ({failures} failed attempts)"
        return None

    async def _disable(self, config: IntegrationConfig, reason: str, now: float) -> None:
        await self._store.update(
            config.id, lambda record: {"enabled": False, "disabled_reason": reason}
        )
        logger.warning(
            "configuration disabled",
            extra=fields(config_id=config.id, integration=config.integration_id, reason=reason),
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._log.keys.config_health(config.id))
            self._queue_event(
                pipe,
                "switchboard.config.disabled",
                {
                    "config_id": config.id,
                    "integration_id": config.integration_id,
                    "name": config.name,
                    "reason": reason,
                },
                tenant=config.tenant,
            )
            await pipe.execute()

    def _queue_event(
        self, pipe: Any, event_type: str, data: dict[str, Any], *, tenant: str | None
    ) -> None:
        _, encoded = self._events.encode(event_type, data, tenant=tenant)
        self._events.queue(pipe, self._events.jobs([encoded]))


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _verdict(config: IntegrationConfig, response: DeliveryResponse) -> Verdict | None:
    """The integration's judgement; its own exception means no judgement (default rules)."""
    try:
        return config.integration.classify_response(config, response)
    except Exception:
        logger.exception(
            "classify_response failed", extra=fields(integration=config.integration_id)
        )
        return None
