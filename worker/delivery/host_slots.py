"""The host gate: a slot of the configuration's tenant, of the endpoint's host (and port)
and of the worker, or a wait.

At most ``HttpLimits.per_tenant`` requests at once for one tenant's configurations,
``per_host`` to one origin and ``connections`` in all, per worker: one tenant's slow or
many endpoints leave the rest of the worker's connections to the other tenants (a
tenant that has all its slots is ``TENANT_BUSY``; configurations with no tenant are the
operator's and take none). The slots are ``Slots`` rather than the connector's limits, so
that the request timeout counts the attempt, not the wait for a free slot. A host
whose slots are all held by requests of which the oldest has been out longer than
``slow_host_after`` is slow: an attempt that may wait elsewhere is told to come back
(``Wait``) rather than queue behind it, for as long as that oldest request has been
out (so a hanging host's deliveries come back ever less often), between
``min_wait`` and ``max_wait``. A host that is merely busy is queued for, up to
``queue_wait_max``, or until it turns slow. Before it turns slow, a host whose slots are
all taken and none of whose requests has ended for ``stalled_host_after``, or for twice
as long as its last request took if that is longer, is stalled: it is queued for by at
most as many attempts as it has slots, and the rest come back later, so that a host
that has just begun to hang does not hold every admission slot of the worker in its
queue until it counts as slow. A host answering in 200 ms, its slots filled and freed
together, is never stalled by its own pace; and only the queue is capped, so a worker
whose own loop lagged defers a few attempts at most, not its every host's.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque

from .slots import Slots
from .tuning import HttpLimits
from .vocabulary import Wait, WaitReason

__all__ = ["HostSlots"]


class _Origin:
    """One host:port's slots, and when each request in flight started."""

    __slots__ = ("ended_at", "in_flight", "last_took", "limit", "slots", "stall_check", "waiting")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.slots = Slots(limit)
        # Start times of the requests in flight: appended in order, so the oldest is first.
        self.in_flight: deque[float] = deque()
        self.ended_at = 0.0  # when its last request ended
        self.last_took = 0.0  # how long the oldest request had been out when it did
        self.waiting = 0  # attempts queued for one of its slots
        self.stall_check: asyncio.TimerHandle | None = None  # when to see if it stalled

    def oldest_age(self) -> float:
        """How long the oldest request in flight has been out (0 if none is)."""
        return time.monotonic() - self.in_flight[0] if self.in_flight else 0.0

    def stalled(self, after: float) -> bool:
        """All its slots taken, and none of its requests ended for ``after`` or for twice
        as long as its last one took, whichever is longer."""
        stalls_in = self.stalls_in(after)
        return stalls_in is not None and stalls_in <= 0

    def stalls_in(self, after: float) -> float | None:
        """Seconds until it is ``stalled`` unless one of its requests ends first (0 or less:
        it is); ``None`` while one of its slots is free."""
        if not self.slots.full() or not self.in_flight:
            return None
        quiet_for = time.monotonic() - max(self.ended_at, self.in_flight[0])
        return max(after, 2 * self.last_took) - quiet_for

    def release(self) -> None:
        now = time.monotonic()
        # Which one ended does not matter: the oldest start goes, and how long it had been
        # out stands for how long requests there take (an upper bound for this one).
        self.last_took = now - self.in_flight.popleft()
        self.ended_at = now
        self.slots.release()


class HostSlots:
    def __init__(self, limits: HttpLimits, *, min_wait: float, max_wait: float) -> None:
        self._limits = limits
        self._min_wait = min_wait
        self._max_wait = max_wait
        self._worker = Slots(limits.connections)
        self._origins: defaultdict[str, _Origin] = defaultdict(self._new_origin)
        self._tenants: defaultdict[str, Slots] = defaultdict(self._new_tenant)

    def _new_origin(self) -> _Origin:
        return _Origin(self._limits.per_host)

    def _new_tenant(self) -> Slots:
        return Slots(self._limits.per_tenant or 1)

    async def enter(
        self, origin: str, *, tenant: str | None = None, may_defer: bool
    ) -> Wait | None:
        """``None``: the slots are held (``leave`` gives them back); else when to come back.

        Without ``may_defer``: wait as long as it takes, never a ``Wait``.
        """
        wait_max = self._limits.queue_wait_max if may_defer else None
        # The tenant's slot first, so that a tenant waiting for its own holds nobody else's.
        tenant_slots = self._tenant_slots(tenant)
        if tenant_slots is not None and not await tenant_slots.acquire_within(wait_max):
            return self._come_back(0.0, WaitReason.TENANT_BUSY)
        try:
            wait = await self._enter_host(origin, wait_max, may_defer=may_defer)
        except BaseException:  # cancelled (a job stopping) while it waited: hold nothing
            if tenant_slots is not None:
                tenant_slots.release()
            raise
        if wait is not None and tenant_slots is not None:
            tenant_slots.release()
        return wait

    async def _enter_host(
        self, origin: str, wait_max: float | None, *, may_defer: bool
    ) -> Wait | None:
        host = self._origins[origin]
        # The host's slot first, so that waiting for a busy host holds none of the worker's.
        if not await self._host_slot(host, wait_max, may_defer=may_defer):
            return self._come_back(host.oldest_age(), WaitReason.HOST_BUSY)
        try:
            got_worker_slot = await self._worker.acquire_within(wait_max)
        except BaseException:  # cancelled while it waited for the worker's: give the host's
            host.slots.release()
            raise
        if not got_worker_slot:
            host.slots.release()
            return self._come_back(0.0, WaitReason.HOST_BUSY)
        host.in_flight.append(time.monotonic())
        return None

    async def _host_slot(self, host: _Origin, wait_max: float | None, *, may_defer: bool) -> bool:
        """A slot of ``host`` within ``wait_max``; one that may defer does not queue for a
        slow host, and stops queueing once the host it waits for turns slow: in a backlog,
        deliveries queued behind a host that has just begun to hang held their admission
        slots for all of ``queue_wait_max``, and the healthy endpoints' deliveries waited
        behind them (one of ten hanging: the healthy nine at 0.95 of their all-healthy
        rate before, 0.98 after, paired runs)."""
        if not may_defer or wait_max is None:
            return await host.slots.acquire_within(wait_max)
        stalled_after = self._limits.stalled_host_after
        if host.waiting >= host.limit and host.stalled(stalled_after):
            return False  # as many queue for it as it has slots: come back later
        deadline = time.monotonic() + wait_max
        host.waiting += 1
        try:
            while True:
                until_slow = self._limits.slow_host_after - host.oldest_age()
                left = deadline - time.monotonic()
                if (host.slots.full() and until_slow <= 0) or left <= 0:
                    return False
                if host.waiting > host.limit and host.stalled(stalled_after):
                    return False  # turned away as it stalled (_check_stall)
                self._watch_for_stall(host)
                # A young host's requests may all end within this: most waits end here.
                if await host.slots.acquire_within(min(left, until_slow), may_turn_away=True):
                    return True
        finally:
            host.waiting -= 1

    def _watch_for_stall(self, host: _Origin) -> None:
        """Once ``host`` stalls, those queued for it before it did leave but as many as it
        has slots (``_check_stall``): in a backlog, 361 had queued in its first 66 ms, each
        holding an admission slot and its job until the host turned slow."""
        if host.stall_check is not None:
            return
        stalls_in = host.stalls_in(self._limits.stalled_host_after)
        if stalls_in is not None and stalls_in > 0:
            loop = asyncio.get_running_loop()
            host.stall_check = loop.call_later(stalls_in, self._check_stall, host)

    def _check_stall(self, host: _Origin) -> None:
        host.stall_check = None
        if host.waiting <= host.limit:
            return
        if host.stalled(self._limits.stalled_host_after):
            host.slots.turn_away(keep=host.limit)
        else:  # one of its requests ended meanwhile: look again when it may have stalled
            self._watch_for_stall(host)

    def leave(self, origin: str, *, tenant: str | None = None) -> None:
        self._worker.release()
        self._origins[origin].release()
        tenant_slots = self._tenant_slots(tenant)
        if tenant_slots is not None:
            tenant_slots.release()

    def _tenant_slots(self, tenant: str | None) -> Slots | None:
        if tenant is None or self._limits.per_tenant is None:
            return None
        return self._tenants[tenant]

    def _come_back(self, busy_for: float, reason: WaitReason) -> Wait:
        seconds = min(max(self._min_wait, busy_for), self._max_wait)
        return Wait(seconds=seconds, reason=reason)
