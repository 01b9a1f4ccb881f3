"""The one log line per delivery outcome: ids and the host, never the URL (it can hold a
secret, as a Slack webhook's does) or the payload."""

from __future__ import annotations

import logging

from switchboard.integrations import DeliveryResult, IntegrationConfig

from ..logs import log_fields

__all__ = ["log_delivery"]

logger = logging.getLogger("switchboard.worker.delivery")


def log_delivery(
    result: DeliveryResult, config: IntegrationConfig, event_id: str, host: str
) -> None:
    level = logging.INFO if result.error is None else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    response = result.response
    values = {
        "delivery_id": result.delivery_id,
        "event_id": event_id,
        "integration": config.integration_id,
        "config_id": config.id,
        "host": host,
        "attempt": result.attempt,
        "status": response.status if response is not None else None,
        "ms": round(result.duration * 1000, 1),
        "error": result.error,
    }
    log_fields(logger, level, f"delivery {result.outcome.value}", values)
