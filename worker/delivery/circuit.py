"""Circuit breakers: stop calling an endpoint that keeps failing, for a while.

One breaker per configuration, in each worker process. Closed, every attempt
goes out. After ``failures`` attempts in a row that failed the way an endpoint
that is down fails (5xx, 429, a timeout, no connection), it opens for
``cooldown`` seconds: the engine does not attempt that configuration's
deliveries, it schedules them for when the breaker half-opens, without using
up an attempt. A down endpoint then costs each of its deliveries a record
write rather than a request (and a timeout's worth of a connection slot), so
it takes nothing from the healthy ones. Half-open, one delivery goes out as a
probe: success closes the breaker; failure opens it again for twice as long,
up to ``cooldown_max``. What counts as a down endpoint's failure is the policy's
(``policy.EndpointState``); ``observe`` takes it from there.

Each worker learns on its own, within ``failures`` attempts: sharing the state
through Redis would add a round trip to every delivery. A breaker's state is
in memory only and small (configurations that are failing now), and the
endpoint's health over days (``config_health``, disabling) is unchanged:
probes count in it like any attempt.

    closed --(failures in a row)--> open --(cooldown)--> half-open (one probe)
      ^                                ^                       |
      +---------- probe delivered -----|------ probe failed ---+
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.integrations import IntegrationConfig

from ..logs import fields
from .policy import EndpointState
from .tuning import CircuitTuning

__all__ = ["CircuitBreakers"]

logger = logging.getLogger("switchboard.worker.delivery")


@dataclass(slots=True)
class _Breaker:
    failures: int = 0
    #: When it half-opens; 0 while closed.
    open_until: float = 0.0
    cooldown: float = 0.0
    #: While a probe is out: when another may go (should its outcome never come).
    probe_until: float = 0.0


class CircuitBreakers:
    """``failures``: attempts failed in a row that open a breaker (0: never open)."""

    def __init__(
        self,
        *,
        failures: int,
        cooldown: float,
        cooldown_max: float = CircuitTuning().cooldown_max,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failures = failures
        self._cooldown = cooldown
        self._cooldown_max = cooldown_max
        self._clock = clock
        # Only configurations with a failure since their last success are here.
        self._breakers: dict[str, _Breaker] = {}

    @property
    def open_count(self) -> int:
        """Breakers open or half-open (a probe may go) now."""
        return sum(1 for breaker in self._breakers.values() if breaker.open_until != 0.0)

    def wait(self, key: str) -> float:
        """0: attempt now (closed, or as the probe); else seconds until a probe may go."""
        breaker = self._breakers.get(key)
        if breaker is None or breaker.open_until == 0.0:
            return 0.0
        now = self._clock()
        if now < breaker.open_until:
            return breaker.open_until - now
        if now < breaker.probe_until:  # a probe is out: its outcome decides for the rest
            return breaker.probe_until - now
        breaker.probe_until = now + breaker.cooldown
        return 0.0

    def succeeded(self, key: str) -> bool:
        """An attempt reached the endpoint; ``True`` if that closed an open breaker."""
        breaker = self._breakers.pop(key, None)
        return breaker is not None and breaker.open_until != 0.0

    def released(self, key: str) -> None:
        """An attempt ended telling nothing of the endpoint (refused before sending, say): if
        it was the probe, the next delivery probes instead."""
        breaker = self._breakers.get(key)
        if breaker is not None:
            breaker.probe_until = 0.0

    def failed(self, key: str) -> float:
        """An attempt failed as a down endpoint's do; returns how long the breaker now stays
        open if this opened it (or opened it again), else 0."""
        if self._failures < 1:
            return 0.0
        breaker = self._breakers.setdefault(key, _Breaker())
        if breaker.probe_until:  # the probe failed: open again, for longer
            breaker.probe_until = 0.0
            breaker.cooldown = min(breaker.cooldown * 2, self._cooldown_max)
            breaker.open_until = self._clock() + breaker.cooldown
            return breaker.cooldown
        breaker.failures += 1
        if breaker.open_until != 0.0 or breaker.failures < self._failures:
            return 0.0  # still closed, or an attempt made before it opened
        breaker.cooldown = self._cooldown
        breaker.open_until = self._clock() + breaker.cooldown
        return breaker.cooldown

    @classmethod
    def from_tuning(cls, tuning: CircuitTuning, clock: Callable[[], float]) -> CircuitBreakers:
        return cls(
            failures=tuning.failures,
            cooldown=tuning.cooldown,
            cooldown_max=tuning.cooldown_max,
            clock=clock,
        )

    def observe(
        self, config: IntegrationConfig, endpoint: EndpointState, error: str | None
    ) -> None:
        """Tell the configuration's breaker what an attempt said of its endpoint; log when
        that opens or closes it."""
        if endpoint is EndpointState.DOWN:
            if opened_for := self.failed(config.id):
                logger.warning(
                    "circuit opened: deliveries wait instead of being attempted",
                    extra=fields(
                        config_id=config.id,
                        integration=config.integration_id,
                        seconds=opened_for,
                        last_error=error,
                    ),
                )
        elif endpoint is EndpointState.UP:
            if self.succeeded(config.id):
                logger.info(
                    "circuit closed: the endpoint answers again",
                    extra=fields(config_id=config.id, integration=config.integration_id),
                )
        else:
            self.released(config.id)
