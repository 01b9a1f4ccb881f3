"""What one of the backlog's webhook deliveries puts on the wire, for the bare clients
(``ceilings.py``) and the naive design (``arq_jobs.py``) to send the same: its body and
its Standard Webhooks headers (the issue's ceiling: "the same 400-byte JSON body with
Standard Webhooks headers").

Light on purpose: the naive design's worker imports it, and importing the worker's
modules there would give its garbage collector more to walk than the glue it stands for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Final

import orjson

from switchboard.integrations.delivery import delivery_id
from switchboard.integrations.signing import generate_secret, secret_key, signature_header

__all__ = ["PAYLOAD", "delivery_like", "sign_as_delivery"]

#: The data of every event the bench emits.
PAYLOAD: Final = {"review_id": 42, "author": "alice", "summary": "x" * 200}

#: The key the bench's bare clients and naive design sign with.
_SIGNING_KEY: Final = secret_key(generate_secret())

_EVENT_ID: Final = "evt_01kbmz6wq3m4v2x8y9z0a1b2c3"


def delivery_like() -> tuple[bytes, dict[str, str]]:
    """A delivery's body (``WebhookIntegration``'s: id, type, timestamp, tenant, data)
    and its headers, signed once: a bare client measures sending, not signing."""
    body = orjson.dumps(
        {
            "id": _EVENT_ID,
            "type": "review.published",
            "timestamp": datetime.now(UTC).isoformat(),
            "tenant": None,
            "data": PAYLOAD,
        }
    )
    return body, sign_as_delivery(body, delivery_id(_EVENT_ID, "cfg_01kbmz6wq3m4v2x8y9z0a1b2c3"))


def sign_as_delivery(body: bytes, message_id: str) -> dict[str, str]:
    """The headers a webhook delivery of ``body`` carries (its integration's and the
    Standard Webhooks ones), signed now."""
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header([_SIGNING_KEY], message_id, timestamp, body),
    }
