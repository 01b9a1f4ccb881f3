"""``DeliveryEngine``: behind ``Integration.send()``, it sequences one delivery's steps.

A first attempt (``deliver``, the ``Deliverer`` protocol): admission (at most
``admitted_per_connection`` first attempts per connection slot in progress), the
record, the gates (``gates.py``: circuit, rate limit), the attempt
(``attempt.py``: SSRF, headers, the host gate, the transport), then the end of
every attempt: the policy's decision (``policy.py``), one write of the record and
everything around it, shared with the attempts ending at the same moment
(``repository.py``, ``group_commit.py``), endpoint health (``health.py``),
internal events (``internal_events.py``), the circuit, the log line. A first
attempt on the wire longer than its inline budget finishes in the background,
behind a scheduled retry as a safety net (``handoff.py``); so does one whose caller
is cancelled (its handler out of time), and one cancelled before it was sent is
scheduled at once. A retry (``retry``, from the retry
lane) is the same from the gates on, its request opened from its record.

A delivery told to wait (by a gate, or the host gate: no slot) is scheduled for
then without an attempt counted, saying why (``WaitReason``). When a queue job
runs again (its worker died), a delivery already recorded is not sent again:
its record answers (``DispatchContext.rerun``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

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
    DeliveryRequest,
    DeliveryResult,
    Event,
    IntegrationConfig,
    IntegrationManager,
    delivery_id,
)

from ..dispatcher import CURRENT_DISPATCH, DispatchContext
from .attempt import Attempter
from .circuit import CircuitBreakers
from .conclusion import Conclusion
from .exchange import Exchange
from .gates import Gates
from .group_commit import GroupCommit
from .handoff import HandOff
from .health import EndpointHealth
from .internal_events import InternalEvents
from .leases import Leases
from .rate_limit import RateLimiter
from .records import DeliveryRecord
from .repository import DeliveryLog
from .sealing import RequestSealer
from .slots import Slots
from .tasks import wait_on_the_wire
from .tuning import DeliveryTuning
from .vocabulary import DeliveryStatus, ErrorClass, Wait, WaitReason

__all__ = ["DeliveryEngine"]

logger = logging.getLogger("switchboard.worker.delivery")


class DeliveryEngine:
    """The ``Deliverer`` a worker hands its ``IntegrationManager``."""

    def __init__(
        self,
        settings: Settings,
        *,
        attempter: Attempter,
        log: DeliveryLog,
        manager: IntegrationManager,
        store: ConfigStore,
        redis: Redis,
        tuning: DeliveryTuning | None = None,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.tuning = tuning = tuning or DeliveryTuning.from_settings(settings)
        self._attempter = attempter
        self._log = log
        self._manager = manager
        self._store = store
        self._clock = clock
        self._secrets = SecretBox.from_settings(settings)
        self._sealer = RequestSealer(self._secrets)
        circuits = CircuitBreakers.from_tuning(tuning.circuit, clock)
        self._gates = Gates(
            circuits,
            RateLimiter(redis, log.keys),
            tuning.first_attempts,
            jitter=tuning.retries.jitter,
            rng=rng,
        )
        events = InternalEvents(settings)
        health = EndpointHealth(
            tuning.health, store=store, redis=redis, keys=log.keys, events=events
        )
        self._conclusion = Conclusion(
            tuning.retries,
            log=log,
            commits=GroupCommit(redis, log),
            circuits=circuits,
            health=health,
            events=events,
            clock=clock,
            rng=rng,
        )
        #: This worker's holds on deliveries, renewed while it runs them.
        self.leases = Leases(redis, log.keys, tuning.lease, clock=clock)
        #: First attempts finishing in the background (a slow endpoint's, an interrupted one's).
        self._handoff = HandOff(self.leases, self._conclusion, self._end)
        #: The retry lane: retries wait here, never in front of first attempts.
        self.retry_lane = Slots(tuning.retries.concurrency)
        #: First attempts in progress: in a backlog, the rest wait here, before they cost a
        #: record, an encryption or a task.
        self._admission = Slots(
            tuning.first_attempts.admitted_per_connection * tuning.limits.connections
        )

    # -- first attempts (Deliverer) ----------------------------------------------------

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        dispatch = CURRENT_DISPATCH.get()
        if dispatch is not None:
            dispatch.deliveries_asked += 1
        dispatch = dispatch or DispatchContext()
        try:
            await self._admission.acquire()
        except asyncio.CancelledError:  # not sent, not recorded: the retry lane sends it
            self._handoff.interrupted(
                self._new_record(config, event, request, dispatch), config, None
            )
            raise
        try:
            return await self._first_attempt(config, event, request, dispatch)
        finally:
            self._admission.release()

    async def _first_attempt(
        self,
        config: IntegrationConfig,
        event: Event,
        request: DeliveryRequest,
        dispatch: DispatchContext,
    ) -> DeliveryResult:
        the_id = delivery_id(event.id, config.id, request.key)
        if dispatch.rerun:
            existing = await self._log.get(the_id)
            if existing is not None and existing.status is not DeliveryStatus.PENDING:
                return existing.result()  # made before this job was interrupted
        record = self._new_record(config, event, request, dispatch, the_id=the_id)
        try:
            wait = await self._gates.check(config, record.created_at)
        except asyncio.CancelledError:
            self._gates.circuits.released(config.id)  # a probe it may have taken: not made
            self._handoff.interrupted(record, config, None)
            raise
        if wait:
            return await self._defer(record, wait)
        sending_since: list[float] = []
        # The loop's own create_task: ensure_future's checks, in Python, cost 2% a delivery.
        attempt = asyncio.get_running_loop().create_task(
            self._attempter.attempt(
                config, the_id, request, may_defer=True, sending_since=sending_since
            )
        )
        # Waiting for a slot is bounded on its own (queue_wait_max); the budget counts the
        # time the request has been on its way.
        budget = self.tuning.first_attempts.inline_budget
        try:
            await wait_on_the_wire(attempt, sending_since, budget)
        except asyncio.CancelledError:
            # The handler ran out of time, or its job is being stopped: it records nothing,
            # and a handler that timed out runs no more, so the attempt ends and is recorded
            # in the background.
            self._handoff.interrupted(record, config, attempt)
            raise
        if not attempt.done():
            return await self._handoff.slow(record, config, attempt)
        return await self._end(record, config, attempt.result())

    def _new_record(
        self,
        config: IntegrationConfig,
        event: Event,
        request: DeliveryRequest,
        dispatch: DispatchContext,
        *,
        the_id: str | None = None,
    ) -> DeliveryRecord:
        now = self._clock()
        return DeliveryRecord(
            id=the_id or delivery_id(event.id, config.id, request.key),
            event_id=event.id,
            event_type=event.type,
            tenant=event.tenant,
            config_id=config.id,
            integration_id=config.integration_id,
            request=self._sealer.seal(request),
            created_at=now,
            updated_at=now,
            # The emit (its job's enqueue time); outside a job, what the app said.
            emitted_at=dispatch.enqueued_at or event.occurred_at.timestamp(),
        )

    @property
    def circuits_open(self) -> int:
        """Configurations this worker's circuit breakers hold open (or half-open)."""
        return self._gates.circuits.open_count

    @property
    def in_background(self) -> int:
        """Attempts on their way in the background (handed off by a slow endpoint)."""
        return len(self._handoff.tasks)

    async def drain(self, grace: float) -> tuple[int, int]:
        """Attempts in the background: see ``TaskSet.drain``."""
        return await self._handoff.tasks.drain(grace)

    # -- retries -----------------------------------------------------------------------

    async def retry(self, the_id: str) -> DeliveryResult | None:
        """The next attempt of a scheduled delivery (claimed by the retry lane)."""
        record = await self._log.get(the_id)
        if record is None or record.status is not DeliveryStatus.RETRYING:
            await self._log.drop_retry(the_id)  # expired, or already concluded elsewhere
            return None
        config = self._manager.get_config(record.config_id)
        if config is None or not config.enabled:
            gone = await self._why_unusable(record.config_id)
            if gone is None:  # this worker cannot use it (yet): another may, or later
                later = Wait(
                    seconds=self.tuning.first_attempts.unknown_config_delay,
                    reason=WaitReason.CONFIG_NOT_HERE,
                )
                return await self._defer(record, later)
            return await self._gone(record, config, f"the configuration was {gone}")
        try:
            request = config.integration.refresh_request(config, record.open_request(self._secrets))
        except (ValueError, SecretKeyError) as exc:
            return await self._gone(record, config, f"cannot re-send: {exc}")
        holds_slot = record.rate_slot_at is not None
        if wait := await self._gates.check(config, self._clock(), holds_rate_slot=holds_slot):
            return await self._defer(record, wait)
        exchange = await self._attempter.attempt(
            config, the_id, request, lane=self.retry_lane, may_defer=True
        )
        return await self._end(record, config, exchange)

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

    async def _gone(
        self, record: DeliveryRecord, config: IntegrationConfig | None, why: str
    ) -> DeliveryResult:
        gone = Exchange(host="", error=why, error_class=ErrorClass.GONE, permanent=True)
        return await self._conclusion.conclude(record, config, gone)

    # -- waits and ends ----------------------------------------------------------------

    async def _end(
        self, record: DeliveryRecord, config: IntegrationConfig, outcome: Exchange | Wait
    ) -> DeliveryResult:
        if isinstance(outcome, Wait):  # no slot: no request was made, it tells nothing
            self._gates.circuits.released(config.id)
            return await self._defer(record, outcome)
        return await self._conclusion.conclude(record, config, outcome)

    async def _defer(self, record: DeliveryRecord, wait: Wait) -> DeliveryResult:
        if wait.reason in (WaitReason.HOST_BUSY, WaitReason.TENANT_BUSY):
            wait = Wait(seconds=self._gates.jittered(wait.seconds), reason=wait.reason)
        return (await self._conclusion.schedule(record, wait)).result()
