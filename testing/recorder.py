"""``HandlerRecorder``: an integration's handlers run on an event, their requests recorded,
without Redis or the network: for authors' unit tests.

Configurations are validated as the CLI validates them and held in memory; the
requests the handlers ``send()`` go to a ``RecordingDeliverer`` behind the same
``send()`` API, which answers each with what the test scripted (200 by default)::

    with HandlerRecorder(MyIntegration) as recorder:
        recorder.add_config(MyIntegration, settings={"url": "https://example.com/hook"})
        [sent] = await recorder.emit("review.published", {"review_id": 1})
        assert sent.request.url == "https://example.com/hook" and sent.json["text"]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

import orjson

from switchboard.config import (
    ChangeListener,
    ConfigChanges,
    ConfigRecord,
    new_config_id,
    utc_now,
)
from switchboard.integrations import (
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResponse,
    DeliveryResult,
    Event,
    Integration,
    IntegrationConfig,
    IntegrationManager,
    delivery_id,
    new_config_fields,
)
from switchboard.worker.dispatcher import Dispatcher

__all__ = ["HandlerRecorder", "InMemoryConfigs", "RecordingDeliverer", "SentRequest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SentRequest:
    """One request a handler sent, with the configuration and event it was for."""

    config: IntegrationConfig
    event: Event
    request: DeliveryRequest
    result: DeliveryResult

    @property
    def json(self) -> Any:
        return orjson.loads(self.request.body)


class RecordingDeliverer:
    """A ``Deliverer`` that sends nothing: it records each request and answers it with the
    next scripted response (``answer``), else 200."""

    def __init__(self) -> None:
        self.sent: list[SentRequest] = []
        self._answers: deque[DeliveryResponse] = deque()

    def answer(self, *responses: int | DeliveryResponse) -> None:
        """The answers to the next requests, in turn (a status, or a whole response)."""
        for response in responses:
            if isinstance(response, int):
                response = DeliveryResponse(response, {}, b"")
            self._answers.append(response)

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        response = self._answers.popleft() if self._answers else DeliveryResponse(200, {}, b"")
        result = DeliveryResult(
            delivery_id=delivery_id(event.id, config.id, request.key),
            outcome=DeliveryOutcome.DELIVERED if response.ok else DeliveryOutcome.FAILED,
            attempt=1,
            duration=0.0,
            response=response,
            error=None if response.ok else f"HTTP {response.status}",
        )
        self.sent.append(SentRequest(config=config, event=event, request=request, result=result))
        return result


class InMemoryConfigs:
    """A ``ConfigSource`` holding records in memory: what the manager follows here."""

    def __init__(self) -> None:
        self._records: dict[str, ConfigRecord] = {}
        self._generation = 0
        self._listeners: list[ChangeListener] = []

    @property
    def records(self) -> Mapping[str, ConfigRecord]:
        return MappingProxyType(self._records)

    @property
    def generation(self) -> int:
        return self._generation

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def put(self, record: ConfigRecord) -> None:
        self._records[record.id] = record
        self._generation += 1
        changes = ConfigChanges(generation=self._generation, records={record.id: record})
        for listener in self._listeners:
            listener(changes)


class HandlerRecorder:
    """``with HandlerRecorder(*integrations) as recorder``: a manager following records in
    memory, with a ``RecordingDeliverer`` behind every ``send()``."""

    def __init__(self, *integrations: type[Integration], handler_timeout: float = 10.0) -> None:
        self.manager = IntegrationManager()
        for integration_cls in integrations:
            self.manager.register(integration_cls)
        self.configs = InMemoryConfigs()
        self.deliverer = RecordingDeliverer()
        self._dispatcher = Dispatcher(self.manager, handler_timeout=handler_timeout)
        self._running: Any = None

    @property
    def sent(self) -> list[SentRequest]:
        return self.deliverer.sent

    def __enter__(self) -> HandlerRecorder:
        self._running = self.manager.running(self.configs, deliverer=self.deliverer)
        self._running.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._running.__exit__(exc_type, exc, traceback)

    def add_config(
        self,
        integration: type[Integration] | str,
        *,
        name: str = "test",
        settings: Mapping[str, Any] | None = None,
        tenant: str | None = None,
        conditions: Any = None,
        enabled: bool = True,
    ) -> IntegrationConfig:
        """A configuration, validated as the CLI validates it (``ConfigValidationError``)."""
        integration_id = integration if isinstance(integration, str) else integration.integration_id
        fields = new_config_fields(
            self.manager,
            integration_id,
            name=name,
            settings=settings,
            tenant=tenant,
            enabled=enabled,
            conditions=conditions,
        )
        now = utc_now()
        fields["secret_settings"] = tuple(sorted(fields["secret_settings"]))
        record = ConfigRecord(id=new_config_id(), created_at=now, updated_at=now, **fields)
        self.configs.put(record)
        config = self.manager.get_config(record.id)
        if config is None:
            raise RuntimeError(f"configuration {record.id} did not load: see the log")
        return config

    async def emit(
        self,
        event_type: str,
        data: Mapping[str, Any] | None = None,
        *,
        tenant: str | None = None,
        where: Callable[[SentRequest], bool] | None = None,
    ) -> list[SentRequest]:
        """Dispatch an event to the handlers subscribed to it; the requests they sent."""
        before = len(self.sent)
        await self._dispatcher.dispatch(
            Event(type=event_type, data=dict(data or {}), tenant=tenant)
        )
        return [sent for sent in self.sent[before:] if where is None or where(sent)]
