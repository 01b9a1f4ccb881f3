"""The delivery path: everything after ``Integration.send()``, one concept a module.

Follow one delivery through the file names::

    engine.py           DeliveryEngine: sequences the steps below (the manager's Deliverer)
      slots.py            admission: first attempts in progress at once
      records.py          the DeliveryRecord (sealing.py: its request, encrypted)
      gates.py            circuit.py (CircuitBreakers), rate_limit.py (RateLimiter): go, or Wait
      attempt.py          Attempter: ssrf.py, signatures.py, host_slots.py, transport.py
      exchange.py         Exchange: what the attempt came to
      handoff.py          a slow or interrupted first attempt, ended and recorded in the background
      conclusion.py       policy.py (decide), repository.py (DeliveryLog) via group_commit.py,
                          health.py, internal_events.py, log_line.py
    retry_lane.py       RetryLane: due retries, claimed and run beside the queue's jobs
    admin.py            DeliveryAdmin: what operators do with deliveries
    vocabulary.py       DeliveryStatus, ErrorClass, WaitReason, HealthChange, Wait
    tuning.py           DeliveryTuning and its parts, built from Settings

The names below are what the worker, operators' tools and tests use; the rest is
reachable through its module.
"""

from .admin import DeliveryAdmin, DeliveryPage, RejectedEventPage, ReplayReport
from .attempt import Attempter
from .engine import DeliveryEngine
from .exchange import Exchange
from .records import Attempt, DeliveryRecord
from .repository import DeliveryLog
from .retry_lane import RetryLane
from .ssrf import AddressPolicy, BlockedAddressError
from .transport import RESPONSE_BODY_LIMIT
from .tuning import (
    CircuitTuning,
    DeliveryTuning,
    FirstAttemptTuning,
    HealthTuning,
    HttpLimits,
    HttpTimeouts,
    RetryTuning,
)
from .vocabulary import DeliveryStatus, ErrorClass, HealthChange, Wait, WaitReason

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "AddressPolicy",
    "Attempt",
    "Attempter",
    "BlockedAddressError",
    "CircuitTuning",
    "DeliveryAdmin",
    "DeliveryEngine",
    "DeliveryLog",
    "DeliveryPage",
    "DeliveryRecord",
    "DeliveryStatus",
    "DeliveryTuning",
    "ErrorClass",
    "Exchange",
    "FirstAttemptTuning",
    "HealthChange",
    "HealthTuning",
    "HttpLimits",
    "HttpTimeouts",
    "RejectedEventPage",
    "ReplayReport",
    "RetryLane",
    "RetryTuning",
    "Wait",
    "WaitReason",
]
