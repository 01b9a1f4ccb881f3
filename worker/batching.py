"""``WriteBatcher``: callers' items carried by one write, as many as arrive together.

Each caller submits an item and waits for the write that carries it with
everyone else's; when it returns, its item is written, as if it had gone alone.
A write starts on the next turn of the event loop, and no sooner than
``min_gap`` after the previous one: idle, an item goes at once; under load, one
write (one Redis round trip, one transaction) carries many. A failed write
fails every item it carried.

Two writers share it: ``EventClient`` (emits made within ``emit_linger`` share
a queue job) and the delivery path's ``GroupCommit`` (attempts ending at the
same moment share a MULTI/EXEC).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["WriteBatcher"]

T = TypeVar("T")
R = TypeVar("R")


class WriteBatcher(Generic[T, R]):
    """``write`` takes the items of one batch and returns one result per item, in order."""

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        min_gap: float = 0.0,
        max_batch: int | None = None,
    ) -> None:
        self._write = write
        self._min_gap = min_gap
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_write = float("-inf")

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        return await done

    async def idle(self) -> None:
        """Until every item submitted so far is written (or failed)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                # At least one turn of the loop: items submitted together join in.
                await asyncio.sleep(max(0.0, self._last_write + self._min_gap - loop.time()))
                if not self._waiting:
                    return
                cut = len(self._waiting) if self._max_batch is None else self._max_batch
                batch, self._waiting = self._waiting[:cut], self._waiting[cut:]
                self._last_write = loop.time()
                try:
                    results = await self._write([item for item, _ in batch])
                except BaseException as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
        finally:
            self._writer = None
            # Ended by cancellation (the loop closing): nobody is left to write these.
            stranded, self._waiting = self._waiting, []
            for _, done in stranded:
                done.cancel()
