"""Slots: a counting semaphore whose every step costs the same however many wait.

The delivery path holds thousands of waiters at once (a job of 100 events
at fan-out 10 asks for 1,000 connection slots). ``asyncio.Semaphore`` in
Python 3.11 checks its waiters on each ``acquire()`` and ``locked()``, which
the profile showed costing more the longer the queue grew; here a release
hands its slot straight to the first live waiter, and a waiter that gives up
(a timeout) is skipped when its turn comes rather than searched for.

First come, first served; a single event loop's, like asyncio's own.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

__all__ = ["Slots"]


class Slots:
    __slots__ = ("_free", "_waiters")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"Slots needs a limit of at least 1, not {limit}")
        self._free = limit
        # Futures of waiters, oldest first; some may be cancelled (gave up), skipped later.
        self._waiters: deque[asyncio.Future[None]] = deque()

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
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as it gave up: pass it on
            raise

    async def acquire_within(self, seconds: float | None) -> bool:
        """A slot within ``seconds`` (``None``: however long it takes), or ``False``."""
        if self._free > 0 or seconds is None:
            await self.acquire()
            return True
        try:
            async with asyncio.timeout(seconds):
                await self.acquire()
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it: the count does not change
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
