"""First attempts that end in the background: a slow endpoint's, and an interrupted one's.

* **Slow** (``slow``): an attempt on the wire longer than the inline budget finishes in
  the background, holding no job slot. Its delivery is first scheduled as a retry a
  lease from now, and the lease renewed while the attempt lasts (``leases.py``), so
  that it is sent again should this worker die before recording it.
* **Interrupted** (``interrupted``): the task that asked for the delivery is cancelled
  (its handler ran out of time, or its job is being stopped) while the delivery waits
  for admission, a gate or its answer. Nothing of the handler will record it, and a
  handler that timed out is not run again, so the delivery is recorded here, in the
  background: an attempt already made finishes as a slow one does; a delivery not sent
  yet is scheduled at once (``INTERRUPTED``) for the retry lane. Were the job to run
  again, it finds the record and sends nothing twice.

Background tasks are drained when the worker stops (``DeliveryEngine.drain``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from switchboard.integrations import DeliveryResult, IntegrationConfig

from ..logs import fields
from .conclusion import Conclusion
from .exchange import Exchange
from .leases import Leases
from .records import DeliveryRecord
from .tasks import TaskSet
from .vocabulary import Wait, WaitReason

__all__ = ["HandOff"]

logger = logging.getLogger("switchboard.worker.delivery")

Ending = Callable[[DeliveryRecord, IntegrationConfig, Exchange | Wait], Awaitable[DeliveryResult]]


class HandOff:
    def __init__(self, leases: Leases, conclusion: Conclusion, end: Ending) -> None:
        self._leases = leases
        self._conclusion = conclusion
        self._end = end
        #: First attempts finishing in the background.
        self.tasks = TaskSet()

    async def slow(
        self,
        record: DeliveryRecord,
        config: IntegrationConfig,
        attempt: asyncio.Future[Exchange | Wait],
    ) -> DeliveryResult:
        """Schedule the safety net, then let ``attempt`` finish in the background."""
        scheduled = await self._held(record)
        self.tasks.start(self._finish(scheduled, config, attempt))
        return scheduled.result()

    def interrupted(
        self,
        record: DeliveryRecord,
        config: IntegrationConfig,
        attempt: asyncio.Future[Exchange | Wait] | None,
    ) -> None:
        """Record, in the background, a delivery whose caller was cancelled."""
        self.tasks.start(self._record_interrupted(record, config, attempt))

    async def _record_interrupted(
        self,
        record: DeliveryRecord,
        config: IntegrationConfig,
        attempt: asyncio.Future[Exchange | Wait] | None,
    ) -> None:
        try:
            if attempt is None:
                now = Wait(seconds=0.0, reason=WaitReason.INTERRUPTED)
                await self._conclusion.schedule(record, now)
                return
            scheduled = await self._held(record)
        except Exception:  # Redis is away: the job runs again, and sends it then
            if attempt is not None:
                attempt.cancel()
            logger.exception("recording a delivery failed", extra=fields(delivery_id=record.id))
            return
        await self._finish(scheduled, config, attempt)

    async def _finish(
        self,
        record: DeliveryRecord,
        config: IntegrationConfig,
        attempt: asyncio.Future[Exchange | Wait],
    ) -> None:
        try:
            await self._end(record, config, await attempt)
        except Exception:  # the safety net (a scheduled retry) sends it again
            logger.exception("recording a delivery failed", extra=fields(delivery_id=record.id))
        finally:
            self._leases.let_go(record.id)

    async def _held(self, record: DeliveryRecord) -> DeliveryRecord:
        """``record`` scheduled as a retry at the end of a lease this worker holds: the
        safety net, should it die before recording the attempt."""
        wait = Wait(seconds=self._leases.lease, reason=WaitReason.ATTEMPT_IN_PROGRESS)
        scheduled = await self._conclusion.schedule(record, wait)
        assert scheduled.next_attempt_at is not None  # schedule() sets it
        # The retries set's score, as the record's write computed it (``repository.py``).
        self._leases.hold(record.id, int(scheduled.next_attempt_at * 1000))
        return scheduled
