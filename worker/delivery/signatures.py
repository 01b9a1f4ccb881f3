"""The Standard Webhooks headers of one attempt: ``webhook-id`` (the delivery id: the
receiver's idempotency key), ``webhook-timestamp``, and ``webhook-signature`` (one
``v1,<base64 HMAC-SHA256>`` per secret) when the integration signs the configuration's
deliveries (``Integration.signing_secrets``)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from switchboard.integrations import (
    DeliveryRequest,
    IntegrationConfig,
    secret_key,
    signature_header,
)

__all__ = ["standard_headers"]


def standard_headers(
    config: IntegrationConfig, delivery_id: str, request: DeliveryRequest, now: float
) -> dict[str, str]:
    """The request's headers and the Standard Webhooks ones (``DeliveryRequest`` refuses to
    carry those itself, so nothing is sent twice)."""
    timestamp = int(now)
    headers = {**request.headers, "webhook-id": delivery_id, "webhook-timestamp": str(timestamp)}
    secrets = config.integration.signing_secrets(config, datetime.fromtimestamp(now, UTC))
    if secrets:
        keys = [_signing_key(secret) for secret in secrets]
        headers["webhook-signature"] = signature_header(keys, delivery_id, timestamp, request.body)
    return headers


@functools.lru_cache(maxsize=1024)
def _signing_key(secret: str) -> bytes:
    """A secret's key bytes, decoded once (every delivery of a configuration signs with it)."""
    return secret_key(secret)
