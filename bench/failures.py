"""Failure under load: one endpoint of ten answering 500, or never answering.

The healthy nine's throughput is compared with the same nine's in an
all-healthy run made just before it, in rounds (healthy, failing, healthy,
failing, ...), and the median round is kept: the difference looked for (10%)
is the size of these machines' noise between two runs, so one pair of runs
cannot tell it. Five rounds in a full run: with three, a run whose rounds were
0.90, 0.99 and 0.88 fell short while nine rounds of three runs centred on 1.02
(2026-12-04). Then the healthy nine's latency is measured under the load the
all-healthy fan-out 10 run was measured at.
"""

from __future__ import annotations

import statistics
from typing import Any

from .backlog import switchboard_backlog

__all__ = ["one_failing"]

FANOUT = 10


async def one_failing(
    failing: str, *, events: int, rounds: int, latency_seconds: float, offered: float
) -> dict[str, Any]:
    """``failing``: ``"fail"`` (500) or ``"hang"``."""
    ratios = []
    for _ in range(rounds):
        healthy = await switchboard_backlog(FANOUT, events=events)
        failed = await switchboard_backlog(FANOUT, events=events, failing=failing)
        # Events/s is the rate at which each endpoint gets its deliveries.
        ratios.append(failed["events_per_second"] / healthy["events_per_second"])
    under_load = await switchboard_backlog(
        FANOUT,
        events=events,
        failing=failing,
        latency_seconds=latency_seconds,
        offered=offered,
    )
    return {
        **under_load,
        "rounds": rounds,
        "round_ratios": ratios,
        "healthy_vs_all_healthy": statistics.median(ratios),
    }
