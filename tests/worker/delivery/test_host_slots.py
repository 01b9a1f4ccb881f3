"""``HostSlots``: a slot of the tenant, of the host and of the worker, or "come back in N s"
(``Wait``).

asyncio only, with short tuning values. ``HostSlots`` reads ``time.monotonic()`` itself (no
clock to inject), so a test that needs a request older than ``slow_host_after`` waits for
that much real time to pass, on a condition with a deadline; the queue waits are the
library's own timers (``queue_wait_max``), never the test's.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from switchboard.testing.waiting import wait_for
from switchboard.worker.delivery.host_slots import HostSlots
from switchboard.worker.delivery.tuning import HttpLimits
from switchboard.worker.delivery.vocabulary import Wait, WaitReason

QUEUE_WAIT_MAX = 0.2
SLOW_AFTER = 0.1
MIN_WAIT = 0.05
MAX_WAIT = 10.0
#: Longer than any wait a test expects to end on its own.
DEADLINE = 5.0


def _slots(
    *,
    per_host: int = 1,
    connections: int = 10,
    per_tenant: int | None = None,
    min_wait: float = MIN_WAIT,
    max_wait: float = MAX_WAIT,
    slow_after: float = SLOW_AFTER,
    queue_wait_max: float = QUEUE_WAIT_MAX,
    stalled_after: float = DEADLINE,
) -> HostSlots:
    limits = HttpLimits(
        connections=connections,
        per_host=per_host,
        per_tenant=per_tenant,
        queue_wait_max=queue_wait_max,
        slow_host_after=slow_after,
        stalled_host_after=stalled_after,
    )
    return HostSlots(limits, min_wait=min_wait, max_wait=max_wait)


async def _queued(task: asyncio.Future[Wait | None]) -> None:
    """Let a task run up to where it waits (scheduling steps, not a wait for time)."""
    for _ in range(3):
        await asyncio.sleep(0)
    assert not task.done()


async def _older_than(started: float, seconds: float) -> None:
    """Real time passing: HostSlots has no clock of its own to move."""
    await wait_for(
        lambda: time.monotonic() - started > seconds,
        timeout=DEADLINE,
        what=f"a request older than {seconds} s",
    )


async def test_enter_takes_a_slot_and_leave_gives_it_back() -> None:
    hosts = _slots(per_host=2)
    assert await hosts.enter("a:443", may_defer=True) is None
    assert await hosts.enter("a:443", may_defer=True) is None
    third = asyncio.ensure_future(hosts.enter("a:443", may_defer=True))
    await _queued(third)  # both of a's slots are taken
    hosts.leave("a:443")
    assert await asyncio.wait_for(third, DEADLINE) is None  # handed the slot let go
    hosts.leave("a:443")
    hosts.leave("a:443")
    for _ in range(2):  # all back: both go at once again
        assert await hosts.enter("a:443", may_defer=True) is None


async def test_hosts_have_their_own_slots() -> None:
    hosts = _slots(per_host=1)
    assert await hosts.enter("a:443", may_defer=True) is None
    assert await hosts.enter("b:443", may_defer=True) is None  # a being full holds up no one
    assert await hosts.enter("a:8443", may_defer=True) is None  # another port, another origin


async def test_a_busy_host_is_queued_for_within_the_queue_wait() -> None:
    hosts = _slots(per_host=1)
    assert await hosts.enter("a:443", may_defer=True) is None
    waiting = asyncio.ensure_future(hosts.enter("a:443", may_defer=True))
    await _queued(waiting)  # its one request is young: not slow, so it queues
    hosts.leave("a:443")
    assert await asyncio.wait_for(waiting, DEADLINE) is None


async def test_a_queue_wait_that_runs_out_is_a_host_busy_wait() -> None:
    hosts = _slots(per_host=1, min_wait=0.5, slow_after=DEADLINE)  # busy, never slow
    assert await hosts.enter("a:443", may_defer=True) is None
    loop = asyncio.get_running_loop()
    began = loop.time()
    wait = await asyncio.wait_for(hosts.enter("a:443", may_defer=True), DEADLINE)
    waited = loop.time() - began
    # Queued for queue_wait_max, then told to come back: at least min_wait, since its host's
    # request has been out for less.
    assert wait == Wait(seconds=0.5, reason=WaitReason.HOST_BUSY)
    assert QUEUE_WAIT_MAX - 0.01 <= waited < DEADLINE


async def test_a_slow_host_is_answered_at_once_for_as_long_as_its_oldest_request_is_out() -> None:
    # Three workers' host gates, each with a request of its one slot out: bounds apart.
    plain, floored, capped = _slots(), _slots(min_wait=1.0), _slots(max_wait=0.15)
    started = time.monotonic()
    for hosts in (plain, floored, capped):
        assert await hosts.enter("slow:443", may_defer=True) is None
    await _older_than(time.monotonic(), SLOW_AFTER + 0.05)
    loop = asyncio.get_running_loop()
    for hosts, low, high in (
        (plain, SLOW_AFTER + 0.05, None),
        (floored, 1.0, 1.0),
        (capped, 0.15, 0.15),
    ):
        began = loop.time()
        wait = await hosts.enter("slow:443", may_defer=True)
        assert loop.time() - began < QUEUE_WAIT_MAX  # not queued: told at once
        assert wait is not None
        assert wait.reason is WaitReason.HOST_BUSY
        out_for = time.monotonic() - started
        assert low <= wait.seconds <= (out_for if high is None else high)
        assert MIN_WAIT <= wait.seconds <= MAX_WAIT


async def test_a_queue_wait_ends_when_the_host_it_waits_for_turns_slow() -> None:
    """Queued behind a young request that then hangs: told to come back once the request
    is SLOW_AFTER old, not after all of its queue wait."""
    hosts = _slots(per_host=1, min_wait=0.01, queue_wait_max=DEADLINE)
    assert await hosts.enter("a:443", may_defer=True) is None
    started = time.monotonic()
    wait = await asyncio.wait_for(hosts.enter("a:443", may_defer=True), 2 * DEADLINE)
    waited = time.monotonic() - started
    assert wait is not None
    assert wait.reason is WaitReason.HOST_BUSY
    assert SLOW_AFTER - 0.01 <= waited < DEADLINE / 2
    assert wait.seconds >= SLOW_AFTER - 0.01  # as long as its oldest request has been out
    hosts.leave("a:443")
    assert await hosts.enter("a:443", may_defer=True) is None  # its slot was not kept


async def test_without_may_defer_a_slow_host_is_waited_for_however_long() -> None:
    hosts = _slots(per_host=1)
    assert await hosts.enter("slow:443", may_defer=True) is None
    started = time.monotonic()
    await _older_than(started, SLOW_AFTER)
    patient = asyncio.ensure_future(hosts.enter("slow:443", may_defer=False))
    await _queued(patient)
    await _older_than(time.monotonic(), QUEUE_WAIT_MAX + 0.1)
    assert not patient.done()  # well past queue_wait_max, still waiting: never a Wait
    hosts.leave("slow:443")
    assert await asyncio.wait_for(patient, DEADLINE) is None


async def test_a_host_is_slow_only_while_its_slow_request_is_out() -> None:
    hosts = _slots(per_host=2)
    assert await hosts.enter("h:443", may_defer=True) is None
    started = time.monotonic()
    await _older_than(started, SLOW_AFTER)
    assert await hosts.enter("h:443", may_defer=True) is None  # a slot was free: no matter
    slow = await hosts.enter("h:443", may_defer=True)  # full, and its oldest is slow
    assert slow is not None
    assert slow.reason is WaitReason.HOST_BUSY
    hosts.leave("h:443")  # the oldest start goes, whichever request ended
    assert await hosts.enter("h:443", may_defer=True) is None
    queued = asyncio.ensure_future(hosts.enter("h:443", may_defer=True))
    await _queued(queued)  # full again, of young requests: queued for, not turned away
    hosts.leave("h:443")
    assert await asyncio.wait_for(queued, DEADLINE) is None


async def test_a_stalled_host_is_queued_for_by_as_many_as_it_has_slots() -> None:
    """All its slots taken, none ending for stalled_host_after, and long before it counts as
    slow: two more may queue, a third is told at once to come back."""
    stalled_after = 0.3
    hosts = _slots(
        per_host=2, slow_after=DEADLINE, stalled_after=stalled_after, queue_wait_max=DEADLINE
    )
    started = time.monotonic()
    for _ in range(2):
        assert await hosts.enter("h:443", may_defer=True) is None
    queued = [asyncio.ensure_future(hosts.enter("h:443", may_defer=True)) for _ in range(2)]
    for task in queued:
        await _queued(task)
    await _older_than(started, stalled_after)
    loop = asyncio.get_running_loop()
    began = loop.time()
    turned_away = await hosts.enter("h:443", may_defer=True)
    assert loop.time() - began < stalled_after  # told at once, not queued
    assert turned_away is not None
    assert turned_away.reason is WaitReason.HOST_BUSY
    assert turned_away.seconds >= stalled_after  # as long as its oldest request has been out
    hosts.leave("h:443")  # a request ends: the host is no longer stalled...
    assert await asyncio.wait_for(queued[0], DEADLINE) is None
    more = [asyncio.ensure_future(hosts.enter("h:443", may_defer=True)) for _ in range(2)]
    for task in more:  # ...so the queue may grow past its slots again
        await _queued(task)
    for task in (queued[1], *more):  # each handed the slot the one before let go
        hosts.leave("h:443")
        assert await asyncio.wait_for(task, DEADLINE) is None


async def test_those_queued_before_a_host_stalled_leave_down_to_as_many_as_its_slots() -> None:
    """Five queued for a host while it was young; once it stalls, three are told to come
    back (a backlog had hundreds queued in its first tenth of a second, each holding its
    job), and the two left are handed the slots as its requests end."""
    hosts = _slots(per_host=2, slow_after=DEADLINE, stalled_after=0.1, queue_wait_max=DEADLINE)
    for _ in range(2):
        assert await hosts.enter("h:443", may_defer=True) is None
    queued = [asyncio.ensure_future(hosts.enter("h:443", may_defer=True)) for _ in range(5)]
    for task in queued:
        await _queued(task)
    await wait_for(
        lambda: sum(task.done() for task in queued) == 3,
        timeout=DEADLINE,
        what="three of the five told to come back",
    )
    told = [task.result() for task in queued if task.done()]
    assert all(wait is not None and wait.reason is WaitReason.HOST_BUSY for wait in told)
    left = [task for task in queued if not task.done()]
    for task in left:
        hosts.leave("h:443")
        assert await asyncio.wait_for(task, DEADLINE) is None


async def test_a_host_is_not_stalled_by_its_own_pace() -> None:
    """Its last request took 0.4 s: all its slots taken and none ending for a little more
    than stalled_host_after is its pace, not a stall, until twice that has passed."""
    hosts = _slots(per_host=1, slow_after=DEADLINE, stalled_after=0.05, queue_wait_max=DEADLINE)
    assert await hosts.enter("h:443", may_defer=True) is None
    await _older_than(time.monotonic(), 0.4)
    hosts.leave("h:443")
    started = time.monotonic()
    assert await hosts.enter("h:443", may_defer=True) is None
    first = asyncio.ensure_future(hosts.enter("h:443", may_defer=True))
    await _queued(first)
    await _older_than(started, 0.1)  # past stalled_host_after, well within 0.8 s
    second = asyncio.ensure_future(hosts.enter("h:443", may_defer=True))
    await _queued(second)  # queued for, not told to come back
    for task in (first, second):
        hosts.leave("h:443")
        assert await asyncio.wait_for(task, DEADLINE) is None


async def test_without_may_defer_a_stalled_host_is_queued_for_by_any_number() -> None:
    hosts = _slots(per_host=1, slow_after=DEADLINE, stalled_after=0.05)
    assert await hosts.enter("h:443", may_defer=True) is None
    await _older_than(time.monotonic(), 0.05)
    patient = [asyncio.ensure_future(hosts.enter("h:443", may_defer=False)) for _ in range(3)]
    for task in patient:
        await _queued(task)
    for task in patient:
        hosts.leave("h:443")
        assert await asyncio.wait_for(task, DEADLINE) is None


async def test_the_worker_wide_limit_holds_across_hosts() -> None:
    hosts = _slots(per_host=2, connections=2)
    assert await hosts.enter("a:443", may_defer=True) is None
    assert await hosts.enter("b:443", may_defer=True) is None
    queued = asyncio.ensure_future(hosts.enter("c:443", may_defer=True))
    await _queued(queued)  # c has slots; the worker has none
    hosts.leave("a:443")
    assert await asyncio.wait_for(queued, DEADLINE) is None
    # Full again: the worker-wide wait runs out too, and says to come back soon.
    wait = await asyncio.wait_for(hosts.enter("d:443", may_defer=True), DEADLINE)
    assert wait == Wait(seconds=MIN_WAIT, reason=WaitReason.HOST_BUSY)


async def test_waiting_for_the_worker_holds_no_slot_of_the_host() -> None:
    hosts = _slots(per_host=1, connections=1)
    assert await hosts.enter("a:443", may_defer=True) is None
    wait = await asyncio.wait_for(hosts.enter("b:443", may_defer=True), DEADLINE)
    assert wait is not None  # b's slot was taken while it waited for the worker's...
    hosts.leave("a:443")
    assert await hosts.enter("b:443", may_defer=True) is None  # ...and given back after


@pytest.mark.parametrize("may_defer", [True, False])
async def test_a_free_host_and_worker_go_at_once(may_defer: bool) -> None:
    hosts = _slots(per_host=3, connections=3)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for _ in range(3):
        assert await hosts.enter("a:443", may_defer=may_defer) is None
    assert loop.time() - began < QUEUE_WAIT_MAX


# -- a tenant's share of the worker (HttpLimits.per_tenant) ------------------------------


async def test_a_tenant_holds_at_most_per_tenant_slots() -> None:
    hosts = _slots(per_host=10, per_tenant=2)
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    assert await hosts.enter("b:443", tenant="acme", may_defer=True) is None  # any hosts
    third = asyncio.ensure_future(hosts.enter("c:443", tenant="acme", may_defer=True))
    await _queued(third)  # c and the worker have slots; acme has none
    assert await hosts.enter("c:443", tenant="globex", may_defer=True) is None  # its own
    hosts.leave("a:443", tenant="acme")
    assert await asyncio.wait_for(third, DEADLINE) is None  # handed the slot acme let go


async def test_a_tenant_wait_that_runs_out_is_a_tenant_busy_wait() -> None:
    hosts = _slots(per_host=10, per_tenant=1, min_wait=0.5)
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    loop = asyncio.get_running_loop()
    began = loop.time()
    wait = await asyncio.wait_for(hosts.enter("b:443", tenant="acme", may_defer=True), DEADLINE)
    # Queued for queue_wait_max, then told to come back: min_wait, whatever its hosts do.
    assert wait == Wait(seconds=0.5, reason=WaitReason.TENANT_BUSY)
    assert QUEUE_WAIT_MAX - 0.01 <= loop.time() - began < DEADLINE
    hosts.leave("a:443", tenant="acme")
    assert await hosts.enter("b:443", tenant="acme", may_defer=True) is None  # nothing kept


async def test_without_may_defer_a_busy_tenant_is_waited_for_however_long() -> None:
    hosts = _slots(per_host=10, per_tenant=1)
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    patient = asyncio.ensure_future(hosts.enter("b:443", tenant="acme", may_defer=False))
    await _queued(patient)
    await _older_than(time.monotonic(), QUEUE_WAIT_MAX + 0.1)
    assert not patient.done()  # well past queue_wait_max, still waiting: never a Wait
    hosts.leave("a:443", tenant="acme")
    assert await asyncio.wait_for(patient, DEADLINE) is None


async def test_waiting_for_the_tenant_holds_no_slot_of_the_host_or_the_worker() -> None:
    hosts = _slots(per_host=2, connections=2, per_tenant=1)
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    waiting = asyncio.ensure_future(hosts.enter("a:443", tenant="acme", may_defer=True))
    await _queued(waiting)
    # a's second slot and the worker's second are free: globex takes them at once.
    assert await hosts.enter("a:443", tenant="globex", may_defer=True) is None
    wait = await asyncio.wait_for(waiting, DEADLINE)
    assert wait is not None
    assert wait.reason is WaitReason.TENANT_BUSY


@pytest.mark.parametrize("full", ["host", "worker"])
async def test_a_tenant_turned_away_by_its_host_or_the_worker_gives_its_slot_back(
    full: str,
) -> None:
    hosts = _slots(per_host=1, connections=1 if full == "worker" else 10, per_tenant=1)
    assert await hosts.enter("a:443", may_defer=True) is None  # the operator's: no tenant
    origin = "a:443" if full == "host" else "b:443"
    wait = await asyncio.wait_for(hosts.enter(origin, tenant="acme", may_defer=True), DEADLINE)
    assert wait is not None
    assert wait.reason is WaitReason.HOST_BUSY  # the host's or the worker's wait ran out
    hosts.leave("a:443")
    loop = asyncio.get_running_loop()
    began = loop.time()
    # acme's one slot came back with the wait: it goes at once.
    assert await hosts.enter("c:443", tenant="acme", may_defer=True) is None
    assert loop.time() - began < QUEUE_WAIT_MAX


async def test_a_slow_host_answered_at_once_gives_the_tenant_slot_back() -> None:
    hosts = _slots(per_host=1, per_tenant=1)
    assert await hosts.enter("slow:443", may_defer=True) is None
    await _older_than(time.monotonic(), SLOW_AFTER)
    wait = await hosts.enter("slow:443", tenant="acme", may_defer=True)
    assert wait is not None
    assert wait.reason is WaitReason.HOST_BUSY
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await hosts.enter("fast:443", tenant="acme", may_defer=True) is None
    assert loop.time() - began < QUEUE_WAIT_MAX


async def test_no_tenant_takes_no_tenant_slot() -> None:
    hosts = _slots(per_host=10, per_tenant=1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for _ in range(3):  # more than per_tenant, none queued
        assert await hosts.enter("a:443", tenant=None, may_defer=True) is None
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    assert loop.time() - began < QUEUE_WAIT_MAX
    hosts.leave("a:443", tenant=None)  # gives back no slot of acme's...
    wait = await asyncio.wait_for(hosts.enter("b:443", tenant="acme", may_defer=True), DEADLINE)
    assert wait is not None  # ...which is still full
    assert wait.reason is WaitReason.TENANT_BUSY


async def test_without_per_tenant_a_tenant_has_only_the_host_and_worker_limits() -> None:
    hosts = _slots(per_host=3, per_tenant=None)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for _ in range(3):
        assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    assert loop.time() - began < QUEUE_WAIT_MAX
    wait = await asyncio.wait_for(hosts.enter("a:443", tenant="acme", may_defer=True), DEADLINE)
    assert wait is not None
    assert wait.reason is WaitReason.HOST_BUSY  # the host's limit, not a tenant's


async def test_an_entry_cancelled_while_it_waits_for_its_host_keeps_no_tenant_slot() -> None:
    # A job stopped (worker shutdown, job budget) cancels the attempts it waits for.
    hosts = _slots(per_host=1, per_tenant=2)
    assert await hosts.enter("a:443", tenant="acme", may_defer=True) is None
    queued = asyncio.ensure_future(hosts.enter("a:443", tenant="acme", may_defer=False))
    await _queued(queued)  # holds acme's second slot, waits for a's
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    loop = asyncio.get_running_loop()
    began = loop.time()
    # acme holds one slot (the request to a): its second is free again.
    assert await hosts.enter("b:443", tenant="acme", may_defer=True) is None
    assert loop.time() - began < QUEUE_WAIT_MAX


async def test_an_entry_cancelled_while_it_waits_for_the_workers_slot_keeps_no_host_slot() -> None:
    hosts = _slots(per_host=1, connections=1)
    assert await hosts.enter("a:443", may_defer=False) is None  # the worker's one slot
    queued = asyncio.ensure_future(hosts.enter("b:443", may_defer=False))
    await _queued(queued)  # holds b's one slot, waits for the worker's
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    hosts.leave("a:443")
    # b's slot is free again: an entry that may not wait long gets it, not a Wait.
    assert await hosts.enter("b:443", may_defer=True) is None
