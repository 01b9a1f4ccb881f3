"""Waiting on a condition with a deadline: the one way a test should wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["DEFAULT_TIMEOUT", "wait_for", "wait_for_async"]

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0


async def wait_for(
    check: Callable[[], T], *, timeout: float = DEFAULT_TIMEOUT, what: str = "condition"
) -> T:
    """Poll ``check`` until it returns something truthy; ``AssertionError`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)  # yield to the loop between polls


async def wait_for_async(
    check: Callable[[], Awaitable[T]], *, timeout: float = DEFAULT_TIMEOUT, what: str = "condition"
) -> T:
    """``wait_for`` for a check that must itself await (a Redis read, say)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)  # yield to the loop between polls
