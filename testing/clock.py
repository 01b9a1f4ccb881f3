"""``FakeClock``: epoch seconds that move only when a test moves them."""

from __future__ import annotations

import time

__all__ = ["FakeClock"]


class FakeClock:
    """Callable like ``time.time``. Starts at ``now`` (default: the real time, so that
    records and their TTLs look as they would)."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
