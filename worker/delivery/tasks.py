"""``TaskSet``: tasks that outlive their caller, and their drain at a stop; and
``wait_on_the_wire``, the wait that decides whether a first attempt outlives its caller.

Two kinds run so: attempts that finish in the background (a slow endpoint's
first attempt past its inline budget, so that it holds no queue job slot) and
the retry lane's retries. A stopping worker gives each set the same grace
period, then cancels what is left (the safety-net retry, or the lease, sends
those again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

__all__ = ["TaskSet", "wait_on_the_wire"]


class TaskSet:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def one_ends(self, *, within: float) -> None:
        """Until one of them ends, or ``within`` seconds have passed."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=within, return_when=asyncio.FIRST_COMPLETED)

    async def drain(self, grace: float) -> tuple[int, int]:
        """Let them finish, for up to ``grace`` seconds, then cancel the rest. Tasks started
        meanwhile (jobs still finishing can hand off more) are waited for too. Returns
        ``(waited for, cut short)``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        waited: set[asyncio.Task[None]] = set()
        while self._tasks and (remaining := deadline - loop.time()) > 0:
            waited |= self._tasks
            await asyncio.wait(set(self._tasks), timeout=remaining)
        pending = set(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(waited | pending), len(pending)


async def wait_on_the_wire(
    attempt: asyncio.Future[Any], sending_since: list[float], budget: float
) -> None:
    """Until ``attempt`` is done, or has been on the wire for ``budget`` seconds (since
    ``sending_since[0]``, appended when the request is sent). Before then it may wait for
    a slot, bounded on its own, so it is waited for ``budget`` at a time.

    One future and one timer a wait: every first attempt waits here, and
    ``asyncio.wait`` builds two sets, a waiter and a callback on each future (about 2%
    of the worker's CPU at fan-out 10)."""
    loop = asyncio.get_running_loop()
    while not attempt.done():
        on_the_wire = time.monotonic() - sending_since[0] if sending_since else 0.0
        if sending_since and on_the_wire >= budget:
            return
        woken: asyncio.Future[None] = loop.create_future()
        wake = partial(_wake, woken)
        attempt.add_done_callback(wake)
        timer = loop.call_later(budget - on_the_wire, _wake, woken)
        try:
            await woken
        finally:
            timer.cancel()
            if not attempt.done():
                attempt.remove_done_callback(wake)


def _wake(woken: asyncio.Future[None], *_: object) -> None:
    if not woken.done():
        woken.set_result(None)
