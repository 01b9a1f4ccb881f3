"""``Harness``: an author's integrations in a real worker, in the test's event loop.

Real parts only: the test session's Redis, the real queue, dispatcher and delivery
engine (records, retries, signatures, the SSRF guard opened to loopback), and a
``RecordingSink`` for the endpoints. Configurations go in through ``ConfigAdmin``, the
path the CLI takes, so a bad setting fails the test with the field named. Time for
the delivery path is a ``FakeClock`` (``harness.clock``): a retry due in 5 s is made
once the test says ``harness.advance(5)``, in milliseconds, and jitter is off::

    async with Harness(settings, MyIntegration, sink=sink) as harness:
        await harness.add_config(MyIntegration, settings={"url": sink.url("/hook")})
        sink.script("/hook", 500, 200)
        await harness.emit("review.published", {"review_id": 1})
        [delivery] = await harness.deliveries(1)
        assert delivery.status == "delivered" and len(delivery.requests) == 2
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from switchboard.config import ConfigRecord, ConfigStore, Redis, Settings, open_redis
from switchboard.integrations import (
    ConfigAdmin,
    DeliveryOutcome,
    Integration,
    IntegrationManager,
)
from switchboard.worker.delivery import DeliveryAdmin, DeliveryRecord, DeliveryTuning
from switchboard.worker.delivery.vocabulary import OUTCOME_OF, DeliveryStatus
from switchboard.worker.producer import EventClient
from switchboard.worker.runner import WorkerRunner

from .clock import FakeClock
from .sink import Received, RecordingSink
from .waiting import DEFAULT_TIMEOUT, wait_for, wait_for_async

__all__ = ["Delivery", "Harness"]

#: How often the harness's retry lane looks for due retries (the default is 0.25 s).
_RETRY_POLL = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One delivery: its record, and every request of it the sink received, oldest first."""

    record: DeliveryRecord
    requests: tuple[Received, ...]

    @property
    def request(self) -> Received:
        """The last attempt's request."""
        return self.requests[-1]

    @property
    def status(self) -> DeliveryStatus:
        return self.record.status

    @property
    def outcome(self) -> DeliveryOutcome:
        """As ``send()`` reports it to the integration."""
        return OUTCOME_OF[self.record.status]

    @property
    def attempts(self) -> int:
        return len(self.record.attempts)

    @property
    def signature(self) -> str | None:
        """The last request's ``webhook-signature`` (``None``: unsigned)."""
        return self.request.header("webhook-signature")


class Harness:
    """``async with Harness(settings, *integrations, sink=...) as harness``."""

    def __init__(
        self,
        settings: Settings,
        *integrations: type[Integration],
        sink: RecordingSink | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.clock = FakeClock()
        self.manager = IntegrationManager()
        for integration_cls in integrations:
            self.manager.register(integration_cls)
        self._stack = contextlib.AsyncExitStack()
        self._worker: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def __aenter__(self) -> Harness:
        stack = self._stack
        self.redis: Redis = await stack.enter_async_context(open_redis(self.settings))
        store = ConfigStore.for_settings(self.redis, self.settings)
        self.admin = ConfigAdmin(self.manager, store)
        self.deliveries_admin = DeliveryAdmin.for_settings(self.redis, self.settings)
        self._events = await stack.enter_async_context(EventClient(self.settings))
        base = DeliveryTuning.from_settings(self.settings)
        tuning = replace(base, retries=replace(base.retries, poll_interval=_RETRY_POLL))
        runner = WorkerRunner(
            self.settings, self.manager, delivery=tuning, clock=self.clock, rng=lambda: 0.5
        )
        self._worker = asyncio.create_task(runner.run(self._stop))
        stack.push_async_callback(self._stop_worker)
        await wait_for(self._worker_ready, what="the worker to start")
        return self

    def _worker_ready(self) -> bool:
        if self._worker is not None and self._worker.done():
            self._worker.result()  # the error that stopped it
        return self.manager.deliverer is not None

    async def _stop_worker(self) -> None:
        self._stop.set()
        if self._worker is not None:
            await asyncio.wait_for(self._worker, timeout=DEFAULT_TIMEOUT)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def add_config(
        self,
        integration: type[Integration] | str,
        *,
        name: str = "test",
        settings: Mapping[str, Any] | None = None,
        tenant: str | None = None,
        conditions: Any = None,
        enabled: bool = True,
        rate_limit: float | None = None,
    ) -> ConfigRecord:
        """A configuration, validated as the CLI validates it, once the worker has it."""
        integration_id = integration if isinstance(integration, str) else integration.integration_id
        record = await self.admin.create(
            integration_id,
            name=name,
            settings=settings,
            tenant=tenant,
            enabled=enabled,
            conditions=conditions,
            rate_limit=rate_limit,
        )
        await wait_for(
            lambda: self.manager.get_config(record.id) is not None, what=f"{record.id} loaded"
        )
        return record

    async def edit_config(
        self,
        config_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        unset: Sequence[str] = (),
    ) -> ConfigRecord:
        """Change a configuration as ``switchboard configs edit`` does (``settings`` merge into
        the stored ones), once the worker has the change: what a retry sends next follows it."""
        record = await self.admin.update(
            config_id, name=name, enabled=enabled, settings=settings, unset=unset
        )

        def loaded() -> bool:
            config = self.manager.get_config(config_id)
            return config is not None and config.record == record

        await wait_for(loaded, what=f"{config_id}'s change loaded")
        return record

    async def emit(
        self,
        event_type: str,
        data: Mapping[str, Any] | BaseModel | None = None,
        *,
        tenant: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """Queue an event, as an app would; returns its id."""
        return await self._events.emit(event_type, data, tenant=tenant, event_id=event_id)

    def advance(self, seconds: float) -> None:
        """Move the delivery path's clock: retries due by then are made (within ms)."""
        self.clock.advance(seconds)

    async def deliveries(
        self,
        count: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        path: str | None = None,
        settled: bool = True,
    ) -> list[Delivery]:
        """Once at least ``count`` deliveries reached the sink (at ``path``) and were
        recorded: each with its record and requests, in the order they first arrived. A
        delivery counts once its record holds an attempt for each request the sink has
        of it, so the record is never behind what the sink saw.

        ``settled``: wait until each is delivered or dead (else ``retrying`` will do).
        """
        sink = self.sink
        if sink is None:
            raise RuntimeError("this Harness has no sink: pass sink=... to see deliveries")

        async def found() -> list[Delivery]:
            requests: dict[str, list[Received]] = {}
            for received in sink.received:
                the_id = received.header("webhook-id")
                if the_id and (path is None or received.path == path):
                    requests.setdefault(the_id, []).append(received)
            ready = []
            for the_id, its_requests in requests.items():
                record = await self.deliveries_admin.get(the_id)
                # Recorded: every request the sink has of it has its attempt in the record
                # (the sink answers before the worker writes the attempt down).
                if record is None or record.status is DeliveryStatus.PENDING:
                    continue
                if len(record.attempts) < len(its_requests):
                    continue
                if settled and record.status is DeliveryStatus.RETRYING:
                    continue
                ready.append(Delivery(record=record, requests=tuple(its_requests)))
            return ready if len(ready) >= count else []

        return await wait_for_async(found, timeout=timeout, what=f"{count} deliveries")

    async def records(self) -> Sequence[DeliveryRecord]:
        """Every delivery recorded, most recently updated first (those that reached no
        endpoint, a refused address, say, too)."""
        return await self.deliveries_admin.find_all()
