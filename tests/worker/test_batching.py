"""``WriteBatcher``: many callers, one write; every caller gets its own result or the error."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.worker.batching import WriteBatcher


class Recorder:
    """A write that records each batch and answers each item with its double."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def write(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await asyncio.sleep(0)  # a round trip's worth of giving way
        if self.fail_on in items:
            raise RuntimeError(f"write of {items} failed")
        return [item * 2 for item in items]


async def test_items_submitted_together_share_one_write_and_get_their_own_results() -> None:
    recorder = Recorder()
    batcher: WriteBatcher[int, int] = WriteBatcher(recorder.write)
    assert await asyncio.gather(*(batcher.submit(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert recorder.batches == [[0, 1, 2, 3, 4]]


async def test_an_item_after_a_quiet_spell_is_written_alone() -> None:
    recorder = Recorder()
    batcher: WriteBatcher[int, int] = WriteBatcher(recorder.write)
    assert await batcher.submit(1) == 2
    assert await batcher.submit(2) == 4
    assert recorder.batches == [[1], [2]]


async def test_max_batch_splits_a_crowd_into_writes() -> None:
    recorder = Recorder()
    batcher: WriteBatcher[int, int] = WriteBatcher(recorder.write, max_batch=2)
    await asyncio.gather(*(batcher.submit(n) for n in range(5)))
    assert recorder.batches == [[0, 1], [2, 3], [4]]


async def test_a_failed_write_fails_its_items_only_and_the_next_write_goes_on() -> None:
    recorder = Recorder(fail_on=1)
    batcher: WriteBatcher[int, int] = WriteBatcher(recorder.write, max_batch=2)
    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(4)), return_exceptions=True)
    assert [type(o) for o in outcomes[:2]] == [RuntimeError, RuntimeError]
    assert outcomes[2:] == [4, 6]


async def test_items_written_within_min_gap_of_a_write_wait_to_share_the_next() -> None:
    """While a write is on its way, and for ``min_gap`` after it, items gather."""
    written: list[list[int]] = []
    writing, release = asyncio.Event(), asyncio.Event()

    async def gated(items: list[int]) -> list[int]:
        written.append(items)
        writing.set()
        await release.wait()
        return items

    batcher: WriteBatcher[int, int] = WriteBatcher(gated, min_gap=60.0)
    first = asyncio.create_task(batcher.submit(0))
    await writing.wait()  # the first goes at once
    later = [asyncio.create_task(batcher.submit(n)) for n in (1, 2)]
    release.set()
    assert await first == 0
    for _ in range(3):
        await asyncio.sleep(0)  # turns of the loop, in which nothing more may be written
    assert written == [[0]]  # 1 and 2 wait out the gap, to go together
    assert not any(task.done() for task in later)
    for task in later:
        task.cancel()
    await asyncio.gather(*later, return_exceptions=True)


async def test_idle_waits_for_what_was_submitted() -> None:
    recorder = Recorder()
    batcher: WriteBatcher[int, int] = WriteBatcher(recorder.write)
    pending = [asyncio.create_task(batcher.submit(n)) for n in range(3)]
    await asyncio.sleep(0)
    await batcher.idle()
    assert all(task.done() for task in pending)
    assert recorder.batches == [[0, 1, 2]]


async def test_a_cancelled_writer_cancels_what_it_left_unwritten() -> None:
    started = asyncio.Event()

    async def hanging(items: list[int]) -> list[int]:
        started.set()
        await asyncio.Event().wait()
        return items

    batcher: WriteBatcher[int, int] = WriteBatcher(hanging, min_gap=60.0)
    first = asyncio.create_task(batcher.submit(0))
    await started.wait()
    second = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    writer = batcher._writer
    assert writer is not None
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    with pytest.raises(asyncio.CancelledError):
        await second
