"""The delivery API: what a handler gives ``Integration.send()`` and what it gets back.

An integration describes one outbound HTTP request (``DeliveryRequest``) for
one (event, configuration); the worker's delivery engine makes it and answers
with a ``DeliveryResult``. Integrations never open HTTP sessions themselves:
everything that makes outbound calls reliable and safe (one pooled session,
timeouts, concurrency limits, retries, the attempt log, dead letters,
signatures, the SSRF guard) lives behind the ``Deliverer`` protocol, so every
integration gets it without changing a line.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

import orjson

from switchboard.config.errors import InvalidArgumentError

if TYPE_CHECKING:
    from .configs import IntegrationConfig
    from .events import Event

__all__ = [
    "ENGINE_HEADERS",
    "Deliverer",
    "DeliveryOutcome",
    "DeliveryRequest",
    "DeliveryResponse",
    "DeliveryResult",
    "Verdict",
    "delivery_id",
]

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})

#: Headers the engine sets on every attempt (lowercase): the Standard Webhooks ones, which
#: a receiver trusts to identify and verify a delivery, and those that frame the request
#: on the wire. A request that sets one is refused: two values, or a forged id, would reach
#: the receiver.
ENGINE_HEADERS: Final = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)


def delivery_id(event_id: str, config_id: str, key: str = "") -> str:
    """The stable id of one delivery: the same event, configuration and key, the same id.

    Derived rather than random so that a delivery made again (a worker that
    died mid-job, a replay) carries the id the endpoint saw before, which it
    can use to drop duplicates.
    """
    digest = hashlib.blake2b(f"{event_id}\0{config_id}\0{key}".encode(), digest_size=10).digest()
    return "dlv_" + base64.b32encode(digest).decode().lower()


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    """One outbound HTTP request.

    ``key`` tells apart several requests a handler sends for the same event
    and configuration (a message and then a thread reply, say); most send one
    and leave it empty.
    """

    url: str
    body: bytes = b""
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)
    key: str = ""

    def __post_init__(self) -> None:
        owned = [name for name in self.headers if name.lower() in ENGINE_HEADERS]
        if owned:
            raise InvalidArgumentError(
                f"the delivery engine sets {', '.join(owned)} itself: a DeliveryRequest "
                "cannot carry it"
            )

    @classmethod
    def post_json(
        cls, url: str, payload: Any, *, headers: Mapping[str, str] | None = None, key: str = ""
    ) -> DeliveryRequest:
        """A POST of ``payload`` as JSON, with ``Content-Type: application/json``."""
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(url=url, body=orjson.dumps(payload), headers=merged, key=key)


@dataclass(frozen=True, slots=True)
class DeliveryResponse:
    """What the endpoint answered. ``body`` holds at most its first 4 KiB."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        """Only 2xx is success (a redirect is not followed, so it is a failure)."""
        return 200 <= self.status < 300


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    #: This attempt failed; another is scheduled (the worker retries it, not the handler).
    RETRYING = "retrying"
    #: Failed for good: retries exhausted, or a permanent failure. A dead letter.
    FAILED = "failed"


class Verdict(StrEnum):
    """How an integration judges a response (``Integration.classify_response``)."""

    DELIVERED = "delivered"
    #: Try again later, on the retry schedule.
    RETRY = "retry"
    #: Trying again cannot help (a revoked Slack webhook, say): a dead letter at once.
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of ``send()``. ``error`` says why it failed, without secrets."""

    delivery_id: str
    outcome: DeliveryOutcome
    attempt: int
    duration: float
    response: DeliveryResponse | None = None
    error: str | None = None
    #: The failure cannot get better by trying again (a blocked address, an invalid URL).
    permanent: bool = False

    @property
    def delivered(self) -> bool:
        return self.outcome is DeliveryOutcome.DELIVERED


class Deliverer(Protocol):
    """The engine behind ``Integration.send()``; the worker provides one."""

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        """Make ``request`` for (``event``, ``config``). Never raises for a failed delivery."""
        ...
