"""``wait_on_the_wire``: a first attempt waited for until done, or its budget on the wire
spent (time before it was sent not counted); ``TaskSet``'s drain."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from switchboard.worker.delivery.tasks import TaskSet, wait_on_the_wire

BUDGET = 0.2


async def test_an_attempt_done_within_its_budget_is_waited_for() -> None:
    attempt: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    sending_since = [time.monotonic()]
    asyncio.get_running_loop().call_soon(attempt.set_result, "answered")
    await asyncio.wait_for(wait_on_the_wire(attempt, sending_since, BUDGET), timeout=5)
    assert attempt.done()
    assert attempt.result() == "answered"


async def test_an_attempt_on_the_wire_past_its_budget_is_left_running() -> None:
    attempt: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    sending_since = [time.monotonic()]
    await asyncio.wait_for(wait_on_the_wire(attempt, sending_since, BUDGET), timeout=5)
    assert not attempt.done()
    assert time.monotonic() - sending_since[0] >= BUDGET
    assert not attempt._callbacks  # type: ignore[attr-defined]  # no waker left behind


class _CountedWaits(asyncio.Future[str]):
    """An attempt that counts the waits on it: ``wait_on_the_wire`` puts a waker on it for
    each budget it waits."""

    def __init__(self, until: int) -> None:
        super().__init__()
        self._wakers = 0
        self._until = until
        #: Set when the ``until``-th waker is put on: that many budgets begun.
        self.begun = asyncio.Event()

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        self._wakers += 1
        if self._wakers >= self._until:
            self.begun.set()
        super().add_done_callback(fn, context=context)


async def test_the_budget_counts_from_when_it_was_sent_not_from_the_wait_for_a_slot() -> None:
    attempt = _CountedWaits(until=4)
    sending_since: list[float] = []
    waited = asyncio.ensure_future(wait_on_the_wire(attempt, sending_since, BUDGET))
    # Three budgets waiting for a slot (the fourth begun), then sent: a budget more.
    await asyncio.wait_for(attempt.begun.wait(), timeout=5)
    assert not waited.done()
    sending_since.append(time.monotonic())
    await asyncio.wait_for(waited, timeout=5)
    assert not attempt.done()
    assert time.monotonic() - sending_since[0] >= BUDGET


async def test_a_cancelled_wait_leaves_the_attempt_alone() -> None:
    attempt: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    waited = asyncio.ensure_future(wait_on_the_wire(attempt, [time.monotonic()], 60))
    await asyncio.sleep(0)  # the wait begins
    waited.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waited
    assert not attempt.cancelled()
    assert not attempt._callbacks  # type: ignore[attr-defined]
    attempt.set_result("later")  # still the attempt's to finish


async def test_a_drain_cancels_what_outlasts_its_grace() -> None:
    tasks = TaskSet()
    finishing = tasks.start(asyncio.sleep(0))
    hanging = tasks.start(asyncio.Event().wait())  # type: ignore[arg-type]
    waited, cut_short = await asyncio.wait_for(tasks.drain(BUDGET), timeout=5)
    assert (waited, cut_short) == (2, 1)
    assert finishing.done()
    assert not finishing.cancelled()
    assert hanging.cancelled()
    assert len(tasks) == 0
