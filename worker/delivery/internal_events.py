"""Switchboard's own events, queued in the same transaction as what they tell of.

* ``switchboard.delivery.exhausted``: a delivery became a dead letter
  (``delivery_id``, ``event_id``, ``config_id``, ``integration_id``, ``reason``,
  ``attempts``), in the event's tenant. A dead letter of one of Switchboard's
  own events emits none, so that a dead endpoint cannot feed itself.
* ``switchboard.config.disabled``: Switchboard disabled a configuration
  (``config_id``, ``integration_id``, ``name``, ``reason``), in its tenant.

Integrations subscribe to them like to any event (a chat integration, to tell
someone).
"""

from __future__ import annotations

from typing import Any, Final

from switchboard.config import Settings
from switchboard.integrations import IntegrationConfig

from ..queue import EventEncoder, QueuePipeline
from .records import DeliveryRecord

__all__ = ["CONFIG_DISABLED", "DELIVERY_EXHAUSTED", "InternalEvents"]

DELIVERY_EXHAUSTED: Final = "switchboard.delivery.exhausted"
CONFIG_DISABLED: Final = "switchboard.config.disabled"


class InternalEvents:
    def __init__(self, settings: Settings) -> None:
        self._encoder = EventEncoder(settings)

    def delivery_exhausted(self, pipe: QueuePipeline, record: DeliveryRecord) -> None:
        if record.event_type.startswith("switchboard."):
            return
        self._queue(
            pipe,
            DELIVERY_EXHAUSTED,
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

    def config_disabled(self, pipe: QueuePipeline, config: IntegrationConfig, reason: str) -> None:
        self._queue(
            pipe,
            CONFIG_DISABLED,
            {
                "config_id": config.id,
                "integration_id": config.integration_id,
                "name": config.name,
                "reason": reason,
            },
            tenant=config.tenant,
        )

    def _queue(
        self, pipe: QueuePipeline, event_type: str, data: dict[str, Any], *, tenant: str | None
    ) -> None:
        _, encoded = self._encoder.encode(event_type, data, tenant=tenant)
        self._encoder.queue(pipe, self._encoder.jobs([encoded]))
