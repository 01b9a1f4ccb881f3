"""The retry lane: each worker takes due retries from Redis and runs them beside its queue jobs.

Due retries live in one sorted set (``RedisKeys.retries``, scored by due
time), shared by every worker. A worker claims up to as many as its lane has
room for (``RetryTuning.concurrency``) with one script call that pushes
their scores a lease ahead, and renews the lease while it runs them
(``leases.py``): if the worker dies holding them, they fall due again within a
lease, and another worker sends them, with the same delivery id. The lane is
separate from the queue's job slots, so a backlog of retries never holds up first
attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from switchboard.config import REDIS_DOWN_ERRORS, describe_redis_error

from ..logs import fields
from .engine import DeliveryEngine
from .repository import DeliveryLog
from .tasks import TaskSet
from .tuning import RetryTuning

__all__ = ["RetryLane"]

logger = logging.getLogger("switchboard.worker.delivery")


class RetryLane:
    """Claims due retries (each held for a lease, ``Leases``) and runs them, at most
    ``concurrency`` at once, looking again every ``poll_interval`` when none is due."""

    def __init__(self, engine: DeliveryEngine, log: DeliveryLog, tuning: RetryTuning) -> None:
        self._engine = engine
        self._log = log
        self._tuning = tuning
        self._concurrency = tuning.concurrency
        self._running = TaskSet()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run due retries until ``stop``; then let those running finish."""
        while not stop.is_set():
            room = self._concurrency - len(self._running)
            if room <= 0:
                # The lane is full: go on as soon as one retry ends, not a poll later.
                await self._running.one_ends(within=self._tuning.poll_interval)
                continue
            leases = self._engine.leases
            until_ms = leases.until_ms()
            claimed = await self._log.claim_due(room, until_ms)
            for the_id in claimed:
                leases.hold(the_id, until_ms)
                self._running.start(self._retry(the_id))
            if len(claimed) < room:  # nothing more is due: look again in a moment
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._tuning.poll_interval)

    async def drain(self, grace: float) -> tuple[int, int]:
        """The retries in flight, for up to ``grace`` seconds; the rest are cancelled (their
        lease brings them back). Returns ``(waited for, cut short)``."""
        return await self._running.drain(grace)

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def _retry(self, the_id: str) -> None:
        try:
            await self._engine.retry(the_id)
        except REDIS_DOWN_ERRORS as exc:
            # Its lease brings it back once Redis does (the runner reconnects on its own).
            logger.warning(
                "retry interrupted: Redis failed",
                extra=fields(delivery_id=the_id, reason=describe_redis_error(exc)),
            )
        except Exception:
            logger.exception("retry failed", extra=fields(delivery_id=the_id))
        finally:
            self._engine.leases.let_go(the_id)
