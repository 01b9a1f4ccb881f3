"""What happens after an attempt: delivered, another attempt (when), or a dead letter.

Pure functions of the attempt, the schedule and the clock, so the rules can be
tested without waiting. The rules, in order:

1. the integration's verdict (``Integration.classify_response``), if it gives one;
2. 2xx: delivered (redirects are not followed, so 3xx fails);
3. ``webhook-delivery: abort-message`` from the receiver: dead, no more retries;
4. 410 Gone: dead, and the configuration is disabled at once;
5. a permanent failure (a blocked address, an invalid URL): dead;
6. otherwise the next delay of the schedule, with jitter; 429 and timeouts
   wait at least 60 s; ``Retry-After`` may push it later (never earlier), up
   to ``retry_after_max``; past the end of the schedule: dead (exhausted).
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

from .delivery import Attempted

__all__ = ["Decision", "Next", "decide", "retry_after_seconds"]

_DELTA_SECONDS: Final = re.compile(r"[0-9]{1,10}", re.ASCII)

#: 429 Too Many Requests and timeouts mean an overloaded receiver: give it a minute at least.
SLOW_DOWN_SECONDS: Final = 60.0


class Next(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Decision:
    next: Next
    #: Seconds until the next attempt (``Next.RETRY`` only).
    delay: float | None = None
    #: Why it is dead (``Next.DEAD`` only).
    reason: str | None = None
    #: Why to disable the configuration too (410 Gone), kept on it while it is disabled.
    disable_reason: str | None = None


def decide(
    attempted: Attempted,
    attempt_number: int,
    *,
    schedule: Sequence[float],
    verdict: Verdict | None,
    jitter: float,
    retry_after_max: float,
    now: float,
    rng: Callable[[], float] = random.random,
) -> Decision:
    response = attempted.response
    if verdict is Verdict.DELIVERED or (verdict is None and attempted.ok):
        return Decision(Next.DELIVERED)
    if response is not None and _aborted(response):
        return Decision(Next.DEAD, reason="the receiver answered webhook-delivery: abort-message")
    if verdict is Verdict.PERMANENT:
        return Decision(Next.DEAD, reason=f"permanent failure: {attempted.error or 'as judged'}")
    if verdict is None and response is not None and response.status == 410:
        return Decision(
            Next.DEAD,
            reason="410 Gone: the configuration was disabled",
            disable_reason="its endpoint answered 410 Gone",
        )
    if verdict is None and attempted.permanent:
        return Decision(Next.DEAD, reason=f"permanent failure: {attempted.error}")
    index = attempt_number - 1
    if index >= len(schedule):
        return Decision(Next.DEAD, reason=f"gave up after {attempt_number} attempts")
    delay = schedule[index] * (1 + jitter * (2 * rng() - 1))
    if attempted.error_class == "timeout" or (response is not None and response.status == 429):
        delay = max(delay, SLOW_DOWN_SECONDS)
    if response is not None:
        asked = retry_after_seconds(response.headers.get("Retry-After"), now)
        if asked is not None:
            delay = max(delay, min(asked, retry_after_max))
    return Decision(Next.RETRY, delay=delay)


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
