"""The host gate: a slot of the endpoint's host (and port) and one of the worker's, or a wait.

At most ``HttpLimits.per_host`` requests at once to one origin and ``connections``
in all, per worker. The slots are ``Slots`` rather than the connector's limits, so
that the request timeout counts the attempt, not the wait for a free slot. A host
whose slots are all held by requests of which the oldest has been out longer than
``slow_host_after`` is slow: an attempt that may wait elsewhere is told to come back
(``Wait``) rather than queue behind it, for as long as that oldest request has been
out (so a hanging host's deliveries come back ever less often), between
``min_wait`` and ``max_wait``. A host that is merely busy is queued for, up to
``queue_wait_max``.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

from .slots import Slots
from .tuning import HttpLimits
from .vocabulary import Wait, WaitReason

__all__ = ["HostSlots"]


class _Origin:
    """One host:port's slots, and when each request in flight started."""

    __slots__ = ("in_flight", "slots")

    def __init__(self, limit: int) -> None:
        self.slots = Slots(limit)
        # Start times of the requests in flight: appended in order, so the oldest is first.
        self.in_flight: deque[float] = deque()

    def oldest_age(self) -> float:
        """How long the oldest request in flight has been out (0 if none is)."""
        return time.monotonic() - self.in_flight[0] if self.in_flight else 0.0

    def release(self) -> None:
        self.in_flight.popleft()  # which one ended does not matter: the oldest start goes
        self.slots.release()


class HostSlots:
    def __init__(self, limits: HttpLimits, *, min_wait: float, max_wait: float) -> None:
        self._limits = limits
        self._min_wait = min_wait
        self._max_wait = max_wait
        self._worker = Slots(limits.connections)
        self._origins: defaultdict[str, _Origin] = defaultdict(self._new_origin)

    def _new_origin(self) -> _Origin:
        return _Origin(self._limits.per_host)

    async def enter(self, origin: str, *, may_defer: bool) -> Wait | None:
        """``None``: both slots are held (``leave`` gives them back); else when to come back.

        Without ``may_defer``: wait as long as it takes, never a ``Wait``.
        """
        host = self._origins[origin]
        wait_max = self._limits.queue_wait_max if may_defer else None
        if may_defer and host.slots.full() and host.oldest_age() > self._limits.slow_host_after:
            return self._come_back(host.oldest_age())
        # The host's slot first, so that waiting for a busy host holds none of the worker's.
        if not await host.slots.acquire_within(wait_max):
            return self._come_back(host.oldest_age())
        if not await self._worker.acquire_within(wait_max):
            host.slots.release()
            return self._come_back(0.0)
        host.in_flight.append(time.monotonic())
        return None

    def leave(self, origin: str) -> None:
        self._worker.release()
        self._origins[origin].release()

    def _come_back(self, busy_for: float) -> Wait:
        seconds = min(max(self._min_wait, busy_for), self._max_wait)
        return Wait(seconds=seconds, reason=WaitReason.HOST_BUSY)
