"""The words of the delivery path: one enum per kind of state, and the one mapping between
the records' words and the integration API's.

* ``DeliveryStatus``: where a delivery record stands (``pending`` while its first
  attempt is under way, then ``delivered``, ``retrying`` or ``dead``).
* ``ErrorClass``: how an attempt failed, when it did.
* ``HealthChange``: what an attempt does to its configuration's failing streak.
* ``WaitReason``: why a delivery waits for its next attempt without one counted.
* ``Wait``: what a gate (circuit, rate limit, host) answers when it is not "go".

Integrations see ``DeliveryOutcome`` (``switchboard.integrations``): a dead letter
is ``failed`` to them. ``OUTCOME_OF`` is the only place that translates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from switchboard.integrations import DeliveryOutcome

__all__ = ["OUTCOME_OF", "DeliveryStatus", "ErrorClass", "HealthChange", "Wait", "WaitReason"]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"


class ErrorClass(StrEnum):
    """How an attempt failed. Stored in the attempt log by value."""

    #: The endpoint answered, but not 2xx.
    HTTP = "http"
    #: No answer within the HTTP timeout.
    TIMEOUT = "timeout"
    #: No connection (refused, reset, unreachable, a name that does not resolve).
    CONNECT = "connect"
    #: The connection broke mid-answer, or the answer was malformed.
    PROTOCOL = "protocol"
    #: The SSRF guard refused the address.
    BLOCKED = "blocked"
    #: A URL the HTTP client cannot use.
    INVALID_URL = "invalid_url"
    #: The configuration was deleted or disabled, or the stored request cannot be opened.
    GONE = "gone"


class HealthChange(StrEnum):
    """What an attempt does to its configuration's failing streak (``config_health``)."""

    CLEAR = "clear"
    FAILURE = "failure"


class WaitReason(StrEnum):
    """Why a delivery's next attempt waits without one counted (``waiting_for``)."""

    CIRCUIT_OPEN = "circuit open"
    RATE_LIMIT = "rate limit"
    HOST_BUSY = "host busy"
    TENANT_BUSY = "tenant busy"
    ATTEMPT_IN_PROGRESS = "attempt in progress"
    CONFIG_NOT_HERE = "configuration not loaded here"
    INTERRUPTED = "interrupted before it was sent"


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """A gate's "not now": try again in ``seconds``, because of ``reason``."""

    seconds: float
    reason: WaitReason


#: A record's status as ``send()`` reports it to the integration.
OUTCOME_OF: Final[Mapping[DeliveryStatus, DeliveryOutcome]] = MappingProxyType(
    {
        DeliveryStatus.PENDING: DeliveryOutcome.RETRYING,
        DeliveryStatus.DELIVERED: DeliveryOutcome.DELIVERED,
        DeliveryStatus.RETRYING: DeliveryOutcome.RETRYING,
        DeliveryStatus.DEAD: DeliveryOutcome.FAILED,
    }
)
