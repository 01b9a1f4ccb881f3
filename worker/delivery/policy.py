"""What an attempt means: delivered, another attempt (when), or a dead letter; and what it
says of the endpoint, for its circuit and its health. Pure: no Redis, no clock of its own.

The rules, in order:

1. the integration's verdict (``Integration.classify_response``), if it gives one;
2. 2xx: delivered (redirects are not followed, so 3xx fails);
3. ``webhook-delivery: abort-message`` from the receiver: dead, no more retries;
4. 410 Gone: dead, and the configuration is disabled at once;
5. a permanent failure (a blocked address, an invalid URL): dead;
6. past the end of the schedule: dead (exhausted). A 429 (the receiver asked to slow
   down) uses up no attempt: the schedule counts the attempts that were not throttled,
   and a 429 is retried past its end, up to ``MAX_THROTTLED`` 429s a delivery (after
   that, they count, so a receiver that always answers 429 still ends as a dead letter);
7. a manual replay that failed: back to the dead letters (a replay is one attempt);
8. otherwise the next delay of the schedule, with jitter; 429 and timeouts (an
   overloaded receiver) wait at least ``RetryTuning.slow_down``; ``Retry-After``, or
   the integration's reading of the answer (``retry_after``: a wait in a JSON body),
   may push it later (never earlier), up to ``retry_after_max``.

What the endpoint's state is (``EndpointState``), defined here once: it answered
(up, whatever it thought of the request); it failed as a down endpoint fails (no
connection, a timeout, a broken answer, 5xx, 429); or nothing was asked of it
(a refused address, an unusable URL, a configuration gone). Its health (the
failing streak that disables a configuration after days) counts every failure
but the last kind's ``GONE``, which is Switchboard's doing, not the endpoint's.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Final

from switchboard.integrations import DeliveryResponse, Verdict

from .exchange import Exchange
from .tuning import RetryTuning
from .vocabulary import DeliveryStatus, ErrorClass, HealthChange

__all__ = [
    "MAX_THROTTLED",
    "Decision",
    "EndpointState",
    "decide",
    "endpoint_state",
    "retry_after_seconds",
]

#: How many 429s of one delivery wait without using up an attempt of the schedule.
MAX_THROTTLED: Final = 20

_DELTA_SECONDS: Final = re.compile(r"[0-9]{1,10}", re.ASCII)
#: Failures the way a down endpoint's are, besides 5xx and 429 answers.
_DOWN_ERRORS: Final = frozenset({ErrorClass.TIMEOUT, ErrorClass.CONNECT, ErrorClass.PROTOCOL})


class EndpointState(StrEnum):
    UP = "up"
    DOWN = "down"
    #: Nothing was asked of it: the attempt tells nothing.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    #: ``DELIVERED``, ``RETRYING`` or ``DEAD``.
    status: DeliveryStatus
    #: Seconds until the next attempt (``RETRYING`` only).
    delay: float | None = None
    #: Why it is dead (``DEAD`` only).
    reason: str | None = None
    #: Why to disable the configuration too (410 Gone), kept on it while it is disabled.
    disable_reason: str | None = None
    endpoint: EndpointState = EndpointState.UNKNOWN
    #: ``None``: the streak is left as it is.
    health: HealthChange | None = None


def endpoint_state(exchange: Exchange) -> EndpointState:
    response = exchange.response
    if response is not None:
        return (
            EndpointState.DOWN
            if response.status >= 500 or response.status == 429
            else (EndpointState.UP)
        )
    if exchange.error_class in _DOWN_ERRORS:
        return EndpointState.DOWN
    return EndpointState.UNKNOWN


def decide(
    exchange: Exchange,
    attempt_number: int,
    *,
    verdict: Verdict | None,
    schedule: Sequence[float],
    tuning: RetryTuning,
    now: float,
    manual_replay: bool = False,
    throttled: int = 0,
    asked: float | None = None,
    rng: Callable[[], float] = random.random,
) -> Decision:
    """``throttled``: how many of the delivery's earlier attempts were answered 429;
    ``asked``: the wait the integration read in the answer (``Integration.retry_after``)."""
    endpoint = endpoint_state(exchange)
    response = exchange.response
    if verdict is Verdict.DELIVERED or (verdict is None and exchange.ok):
        return Decision(
            status=DeliveryStatus.DELIVERED, endpoint=endpoint, health=HealthChange.CLEAR
        )
    health = None if exchange.error_class is ErrorClass.GONE else HealthChange.FAILURE

    def dead(reason: str, disable_reason: str | None = None) -> Decision:
        return Decision(
            status=DeliveryStatus.DEAD,
            reason=reason,
            disable_reason=disable_reason,
            endpoint=endpoint,
            health=health,
        )

    if response is not None and _aborted(response):
        return dead("the receiver answered webhook-delivery: abort-message")
    if verdict is Verdict.PERMANENT:
        return dead(f"permanent failure: {exchange.error or 'as judged'}")
    if verdict is None and response is not None and response.status == 410:
        return dead("410 Gone: the configuration was disabled", "its endpoint answered 410 Gone")
    if verdict is None and exchange.permanent:
        return dead(f"permanent failure: {exchange.error}")
    throttled = min(throttled, MAX_THROTTLED)
    # Throttled answers wait without using up the schedule (while under the cap).
    index = attempt_number - 1 - throttled
    waits = response is not None and response.status == 429 and throttled < MAX_THROTTLED
    if index >= len(schedule) and not (waits and schedule):
        return dead(f"gave up after {attempt_number} attempts")
    if manual_replay:
        return dead(f"manual replay failed: {exchange.error}")
    delay = schedule[min(index, len(schedule) - 1)] * (1 + tuning.jitter * (2 * rng() - 1))
    if exchange.error_class is ErrorClass.TIMEOUT or (
        response is not None and response.status == 429
    ):
        delay = max(delay, tuning.slow_down)
    if response is not None:
        header = retry_after_seconds(response.headers.get("Retry-After"), now)
        hints = [hint for hint in (header, asked) if hint is not None and hint >= 0]
        if hints:
            delay = max(delay, min(max(hints), tuning.retry_after_max))
    return Decision(status=DeliveryStatus.RETRYING, delay=delay, endpoint=endpoint, health=health)


def _aborted(response: DeliveryResponse) -> bool:
    return response.headers.get("webhook-delivery", "").strip().lower() == "abort-message"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds from ``now``: delta-seconds or an HTTP date; ``None`` if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        # A receiver's header must never break the engine: any oddity means "no hint".
    except Exception:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, ValueError, OSError):
        return None
