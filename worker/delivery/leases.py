"""``Leases``: what a worker holds in Redis lasts a lease unless renewed, so a dead worker
lets go within one.

A worker holds three kinds of thing. Each is held until a time in Redis, and this
worker pushes that time a lease ahead every quarter of a lease while it still holds it:

* a queue job it runs: arq's in-progress mark (``arq:in-progress:<job id>``), without
  which another worker would take the job (``renew``'s ``jobs``);
* a retry it claimed, and
* a first attempt finishing in the background: each is in the retries set, scored at
  the end of this worker's hold (``hold``, ``let_go``).

A worker killed with SIGKILL renews nothing: its jobs run again, and its deliveries fall
due, at most a lease later (10 s by default, ``SWITCHBOARD_LEASE``). A worker whose event
loop is blocked for three quarters of a lease loses its holds too, and what it holds may
then be sent twice (with the same ``webhook-id``), never lost.

A hold is renewed only while the delivery is still scored at the end of it: once the
delivery is recorded (scheduled for its next attempt, or done), the score moved, and
the renewal leaves it alone (``RENEW_SCRIPT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from switchboard.config import (
    ARQ_IN_PROGRESS_KEY_PREFIX,
    REDIS_DOWN_ERRORS,
    Redis,
    RedisKeys,
    describe_redis_error,
)

from ..logs import fields
from .repository_scripts import RENEW_SCRIPT

__all__ = ["Leases"]

logger = logging.getLogger("switchboard.worker.delivery")


class Leases:
    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        lease: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._retries = keys.retries
        self.lease = lease
        self._clock = clock
        #: Delivery id -> the end of this worker's hold on it (ms), as last written.
        self._held: dict[str, int] = {}

    @property
    def renew_interval(self) -> float:
        return self.lease / 4

    def until_ms(self) -> int:
        """The end of a hold taken now (ms, as the retries set scores it)."""
        return int((self._clock() + self.lease) * 1000)

    def hold(self, delivery_id: str, until_ms: int) -> None:
        """This worker holds ``delivery_id``, scored ``until_ms`` in the retries set."""
        self._held[delivery_id] = until_ms

    def let_go(self, delivery_id: str) -> None:
        self._held.pop(delivery_id, None)

    @property
    def held(self) -> int:
        return len(self._held)

    async def renew(self, jobs: Iterable[str] = ()) -> None:
        """Push every hold a lease ahead: ``jobs``' in-progress marks and the deliveries
        held, in one round trip."""
        lease_ms = int(self.lease * 1000)
        until_ms = self.until_ms()
        held = dict(self._held)
        async with self._redis.pipeline(transaction=False) as pipe:
            for job_id in jobs:
                # PEXPIRE on a mark arq has deleted (the job ended) creates nothing.
                pipe.pexpire(ARQ_IN_PROGRESS_KEY_PREFIX + job_id, lease_ms)
            if held:
                pairs = [part for the_id, end in held.items() for part in (the_id, str(end))]
                # EVAL, not EVALSHA: once a quarter lease, its text costs nothing to send.
                pipe.eval(RENEW_SCRIPT, 1, self._retries, str(until_ms), *pairs)
            results = await pipe.execute()
        if not held:
            return
        renewed = {raw.decode() for raw in results[-1]}
        for the_id, end in held.items():
            # A hold let go meanwhile stays let go; one taken again keeps its new end.
            if self._held.get(the_id) == end:
                if the_id in renewed:
                    self._held[the_id] = until_ms
                else:  # recorded since: the score is the record's now, not ours
                    del self._held[the_id]

    async def run(self, stop: asyncio.Event, jobs: Callable[[], Iterable[str]]) -> None:
        """Renew every ``renew_interval`` until ``stop``; a Redis failure waits for the next."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.renew_interval)
            if stop.is_set():
                return
            try:
                await self.renew(jobs())
            except REDIS_DOWN_ERRORS as exc:
                logger.warning(
                    "renewing leases failed: Redis is unreachable",
                    extra=fields(reason=describe_redis_error(exc), held=len(self._held)),
                )
