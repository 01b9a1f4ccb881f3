"""Fan-out 10 against its yardsticks, in paired rounds.

Each round measures, one right after another, the bare aiohttp client's ceiling
(and the bare pyreqwest client's, and Switchboard's own transport's alone),
Switchboard's fan-out 10 backlog, and the naive design; the round's ratios are
taken, and the median round is kept, as in
the failure scenario (``failures.py``): these machines' noise between two runs
is the size of the differences looked for, and a ratio of figures measured
minutes apart would carry it.
"""

from __future__ import annotations

import statistics
from typing import Any

from .backlog import switchboard_backlog
from .ceilings import http_ceiling, naive_design

__all__ = ["paired_rounds"]

FANOUT = 10


async def paired_rounds(
    *, rounds: int, events: int, requests: int, naive_deliveries: int
) -> dict[str, Any]:
    measured: list[dict[str, float]] = []
    for _ in range(rounds):
        ceiling = await http_ceiling(requests, runs=1)
        switchboard = await switchboard_backlog(FANOUT, events=events)
        naive = await naive_design(naive_deliveries)
        deliveries = switchboard["deliveries_per_second"]
        measured.append(
            {
                "aiohttp_per_second": ceiling["per_second"],
                "reqwest_per_second": ceiling["reqwest_per_second"],
                "transport_per_second": ceiling["transport_per_second"],
                "naive_per_second": naive["per_second"],
                "deliveries_per_second": deliveries,
                "worker_cpu_ms_per_delivery": switchboard["worker_cpu_ms_per_delivery"],
                "vs_aiohttp": deliveries / ceiling["per_second"],
                "vs_reqwest": deliveries / ceiling["reqwest_per_second"],
                "vs_transport": deliveries / ceiling["transport_per_second"],
                "vs_naive": deliveries / naive["per_second"],
            }
        )
    return {
        "rounds": rounds,
        "events": events,
        "round_figures": measured,
        **{key: statistics.median(r[key] for r in measured) for key in measured[0]},
    }
