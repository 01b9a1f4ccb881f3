"""Attempts that finish in the background: a slow endpoint's first attempt, past its inline
budget, goes on here so that it holds none of the queue's job slots."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["BackgroundAttempts"]


class BackgroundAttempts:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, finishing: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(finishing)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float) -> tuple[int, int]:
        """Let them finish, for up to ``grace`` seconds, then cancel the rest (their
        safety-net retry sends them again). Jobs still finishing can hand off more
        meanwhile: those are waited for too. Returns ``(waited for, cut short)``."""
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
