"""The fields of the fleet-wide counters hash (``RedisKeys.metrics``) and the latency buckets.

Workers (and producers, for events emitted) ``HINCRBY`` these inside the writes
they already make; ``worker/web/metrics.py`` reads the hash per scrape. Kept
apart from both so that the producer's path imports nothing more than this.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DELIVERIES",
    "EVENTS_DISPATCHED",
    "EVENTS_EMITTED",
    "EVENTS_REJECTED",
    "LATENCY_BUCKET",
    "LATENCY_BUCKETS",
    "LATENCY_COUNT",
    "LATENCY_SUM_MS",
    "QUOTA_REFUSALS",
    "latency_bucket",
]

EVENTS_EMITTED: Final = "events_emitted"
EVENTS_DISPATCHED: Final = "events_dispatched"
EVENTS_REJECTED: Final = "events_rejected"
#: ``deliveries|<integration>|<outcome>``: attempts recorded, by the status they led to.
DELIVERIES: Final = "deliveries"
#: ``latency|<le>``: first attempts whose response came within ``le`` seconds of the emit
#: (and above the bucket before: not cumulative; the exporter adds them up).
LATENCY_BUCKET: Final = "latency"
#: ``quota_refusals|<quota>``: API requests a tenant's quota refused (``worker/web/api/quotas.py``).
QUOTA_REFUSALS: Final = "quota_refusals"
LATENCY_COUNT: Final = "latency_count"
LATENCY_SUM_MS: Final = "latency_sum_ms"

#: Seconds, from an event's emit to its first attempt's response; ``+Inf`` beyond.
LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def latency_bucket(seconds: float) -> str:
    """The bucket field a latency of ``seconds`` counts in."""
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return f"{LATENCY_BUCKET}|{bound:g}"
    return f"{LATENCY_BUCKET}|+Inf"
