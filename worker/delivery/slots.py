"""Slots: a counting semaphore whose every step costs the same however many wait.

The delivery path holds thousands of waiters at once (a job of 100 events
at fan-out 10 asks for 1,000 connection slots). ``asyncio.Semaphore`` in
Python 3.11 checks its waiters on each ``acquire()`` and ``locked()``, which
the profile showed costing more the longer the queue grew; here a release
hands its slot straight to the first live waiter, and a waiter that gives up
(a timeout) is skipped when its turn comes rather than searched for.

First come, first served; a single event loop's, like asyncio's own. A waiter
that agreed to (``may_turn_away``) can be told to give up before its time
(``turn_away``): a host that stalls sends back all but as many as it has slots.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

from switchboard.config.errors import InvalidArgumentError

__all__ = ["Slots"]


class Slots:
    __slots__ = ("_free", "_turnable", "_waiters")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise InvalidArgumentError(f"Slots needs a limit of at least 1, not {limit}")
        self._free = limit
        # Futures of waiters, oldest first; some are done (gave up), skipped later.
        self._waiters: deque[asyncio.Future[bool]] = deque()
        # The waiters that may be turned away: an empty set for all but a host's.
        self._turnable: set[asyncio.Future[bool]] = set()

    @property
    def free(self) -> int:
        return self._free

    def full(self) -> bool:
        """No slot free: an ``acquire()`` now would wait."""
        return self._free == 0

    async def acquire(self) -> None:
        # A free slot means nobody is waiting: release() hands slots to waiters first.
        if self._free > 0:
            self._free -= 1
            return
        await self._wait(None)

    async def acquire_within(self, seconds: float | None, *, may_turn_away: bool = False) -> bool:
        """A slot within ``seconds`` (``None``: however long it takes), or ``False``; then
        too, if it ``may_turn_away``, once ``turn_away`` sends it back."""
        if self._free > 0:
            self._free -= 1
            return True
        return await self._wait(seconds, may_turn_away)

    def turn_away(self, keep: int) -> int:
        """All but the ``keep`` oldest of the waiters that may be turned away are told
        ``False`` now; how many were."""
        kept = turned = 0
        for waiter in self._waiters:
            if waiter.done() or waiter not in self._turnable:
                continue
            if kept < keep:
                kept += 1
            else:
                waiter.set_result(False)  # left in the line: release() skips it
                turned += 1
        return turned

    async def _wait(self, seconds: float | None, may_turn_away: bool = False) -> bool:
        loop = asyncio.get_running_loop()
        # Its result: True when handed a slot, False when its time ran out.
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        if may_turn_away:
            self._turnable.add(waiter)
        # A bare timer on the future, not asyncio.timeout(): that cancels the task when
        # time runs out, and costs a context, a handle and a reschedule per wait.
        expiry = None if seconds is None else loop.call_later(seconds, _give_up, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()  # handed a slot just as it was cancelled: pass it on
            raise
        finally:
            if expiry is not None:
                expiry.cancel()
            if may_turn_away:
                self._turnable.discard(waiter)

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)  # the slot passes to it: the count does not change
                return
        self._free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _give_up(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)  # left in the line: release() skips it
