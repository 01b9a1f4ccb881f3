"""``Slots``: the delivery path's semaphore (first come, first served; no lost slots)."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.worker.delivery.slots import Slots


async def test_waiters_are_served_in_order_of_arrival() -> None:
    slots = Slots(1)
    await slots.acquire()
    served: list[int] = []

    async def take(n: int) -> None:
        async with slots:
            served.append(n)

    tasks = [asyncio.create_task(take(n)) for n in range(5)]
    await asyncio.sleep(0)  # let every task queue up (a scheduling step, not a wait)
    assert served == []
    slots.release()
    await asyncio.gather(*tasks)
    assert served == [0, 1, 2, 3, 4]
    assert slots.free == 1


async def test_a_waiter_that_gives_up_is_skipped_and_costs_no_slot() -> None:
    slots = Slots(1)
    await slots.acquire()
    assert slots.full()
    assert await slots.acquire_within(0.01) is False
    patient = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # skips the waiter that gave up, hands the slot to the patient one
    await asyncio.wait_for(patient, 5)
    assert slots.full()
    slots.release()
    assert slots.free == 1


async def test_a_waiter_cancelled_after_being_handed_a_slot_passes_it_on() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to ``first``, which is cancelled before it runs
    first.cancel()
    await asyncio.wait_for(second, 5)
    assert first.cancelled()
    assert slots.full()  # ``second`` holds the one slot; none was lost or made up


async def test_a_free_slot_is_taken_without_a_timer() -> None:
    slots = Slots(2)
    assert await slots.acquire_within(0.0) is True
    assert slots.free == 1


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        Slots(0)
