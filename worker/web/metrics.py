"""``GET /metrics``: the whole fleet in Prometheus' text format (``prometheus_client``).

Per scrape, ``read_snapshot`` reads Redis (one pipeline, then the heartbeats'
values): the counters workers and producers keep in ``RedisKeys.metrics``
(``worker/metric_names.py``), the queue, retries and dead letters, and the
heartbeats; ``FleetCollector`` turns that snapshot into metric families. Any
web process shows the same numbers, whichever worker did the work. Every
metric is described in ``docs/metrics.md``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from switchboard.config import REDIS_DOWN_ERRORS, Redis, RedisKeys, Settings, describe_redis_error

from ..heartbeat import Heartbeat, alive_within, read_heartbeats
from ..metric_names import (
    DELIVERIES,
    EVENTS_DISPATCHED,
    EVENTS_EMITTED,
    EVENTS_REJECTED,
    LATENCY_BUCKET,
    LATENCY_BUCKETS,
    LATENCY_SUM_MS,
    QUOTA_REFUSALS,
)
from .health import json_response
from .state import REDIS, SETTINGS

__all__ = ["FleetCollector", "FleetSnapshot", "read_snapshot", "routes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetSnapshot:
    counters: dict[str, int]
    queued_jobs: int
    oldest_job_age_s: float
    retries_scheduled: int
    dead_letters: int
    #: The workers alive (``heartbeat.alive_within``).
    alive: list[Heartbeat] = field(default_factory=list)


async def read_snapshot(redis: Redis, settings: Settings) -> FleetSnapshot:
    keys = RedisKeys(settings.key_prefix)
    now = time.time()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.metrics)
        pipe.zcard(settings.effective_queue_name)
        pipe.zrange(settings.effective_queue_name, 0, 0, withscores=True)
        pipe.zcard(keys.retries)
        pipe.zcard(keys.dead_letters)
        raw, queued, oldest, retries, dead = await pipe.execute()
    alive = await read_heartbeats(redis, keys, now=now, window=alive_within(settings))
    return FleetSnapshot(
        counters={k.decode(): int(v) for k, v in raw.items()},
        queued_jobs=queued,
        oldest_job_age_s=max(0.0, now - oldest[0][1] / 1000) if oldest else 0.0,
        retries_scheduled=retries,
        dead_letters=dead,
        alive=alive,
    )


class FleetCollector(Collector):
    """One snapshot's metric families (a registry of its own per scrape)."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap, counters = self._snapshot, self._snapshot.counters
        for name, key, doc in (
            ("switchboard_events_received", EVENTS_EMITTED, "Events emitted to the queue."),
            ("switchboard_events_dispatched", EVENTS_DISPATCHED, "Events a worker dispatched."),
            ("switchboard_events_rejected", EVENTS_REJECTED, "Events or payloads rejected."),
        ):
            yield CounterMetricFamily(name, doc, value=counters.get(key, 0))
        attempts = CounterMetricFamily(
            "switchboard_delivery_attempts",
            "Delivery attempts recorded, by integration and the status they led to.",
            labels=["integration", "outcome"],
        )
        for key, value in sorted(counters.items()):
            kind, _, rest = key.partition("|")
            if kind == DELIVERIES:
                integration, _, outcome = rest.rpartition("|")
                attempts.add_metric([integration, outcome], value)
        yield attempts
        refusals = CounterMetricFamily(
            "switchboard_quota_refusals",
            "API requests refused because a tenant was over a quota, by quota.",
            labels=["quota"],
        )
        for key, value in sorted(counters.items()):
            kind, _, quota = key.partition("|")
            if kind == QUOTA_REFUSALS:
                refusals.add_metric([quota], value)
        yield refusals
        yield self._latency()
        for name, doc, gauge in (
            ("switchboard_queue_depth", "Queue jobs waiting or running.", snap.queued_jobs),
            (
                "switchboard_queue_oldest_age_seconds",
                "How long the oldest queued job has been due (0 when none is).",
                snap.oldest_job_age_s,
            ),
            (
                "switchboard_retries_scheduled",
                "Deliveries scheduled for another attempt.",
                snap.retries_scheduled,
            ),
            ("switchboard_dead_letters", "Deliveries that failed for good.", snap.dead_letters),
            (
                "switchboard_circuits_open",
                "Circuit breakers open, summed over the workers alive (each keeps its own).",
                sum(beat.load.circuits_open for beat in snap.alive),
            ),
            (
                "switchboard_workers_alive",
                "Workers with a heartbeat within SWITCHBOARD_READY_WORKER_WINDOW (at most "
                "three heartbeat intervals).",
                len(snap.alive),
            ),
        ):
            yield GaugeMetricFamily(name, doc, value=gauge)

    def _latency(self) -> HistogramMetricFamily:
        counters = self._snapshot.counters
        buckets, total = [], 0
        for bound in (*(f"{b:g}" for b in LATENCY_BUCKETS), "+Inf"):
            total += counters.get(f"{LATENCY_BUCKET}|{bound}", 0)
            buckets.append((bound, total))
        return HistogramMetricFamily(
            "switchboard_delivery_latency_seconds",
            "From an event's emit to its delivery's first attempt's response.",
            buckets=buckets,
            sum_value=counters.get(LATENCY_SUM_MS, 0) / 1000,
        )


def routes(app: web.Application) -> None:
    app.router.add_get("/metrics", _metrics)


async def _metrics(request: web.Request) -> web.Response:
    try:
        snapshot = await read_snapshot(request.app[REDIS], request.app[SETTINGS])
    except REDIS_DOWN_ERRORS as exc:
        return json_response({"status": "unavailable", "redis": describe_redis_error(exc)}, 503)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(snapshot))
    body = generate_latest(registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
