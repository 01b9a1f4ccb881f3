"""The gates a delivery passes before it is attempted: its configuration's circuit, then its
rate limit. Each answers "go" (``None``) or "come back in N seconds, because R" (``Wait``),
and a delivery told to wait is deferred without an attempt counted. The third gate, the
endpoint's host, is passed as the attempt is made (``host_slots.py``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from switchboard.integrations import IntegrationConfig

from .circuit import CircuitBreakers
from .rate_limit import RateLimiter
from .tuning import FirstAttemptTuning
from .vocabulary import Wait, WaitReason

__all__ = ["Gates"]


class Gates:
    def __init__(
        self,
        circuits: CircuitBreakers,
        limiter: RateLimiter,
        tuning: FirstAttemptTuning,
        *,
        jitter: float,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.circuits = circuits
        self._limiter = limiter
        self._inline_rate_wait = tuning.inline_rate_wait
        self._jitter = jitter
        self._rng = rng

    async def check(
        self, config: IntegrationConfig, now: float, *, holds_rate_slot: bool = False
    ) -> Wait | None:
        """``holds_rate_slot``: a retry deferred by the rate limit already holds its slot."""
        if seconds := self.circuits.wait(config.id):
            return Wait(seconds=self.jittered(seconds), reason=WaitReason.CIRCUIT_OPEN)
        if config.rate_limit is None or holds_rate_slot:
            return None
        seconds = await self._limiter.reserve(config.id, config.rate_limit, now)
        if seconds > self._inline_rate_wait:
            return Wait(seconds=seconds, reason=WaitReason.RATE_LIMIT)
        if seconds > 0:
            await asyncio.sleep(seconds)  # the reserved slot's time, not a synchronisation
        return None

    def jittered(self, seconds: float) -> float:
        """Spread what waits for one moment, so that it does not all come due at once."""
        return seconds * (1 + self._jitter * self._rng())
