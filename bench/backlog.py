"""Switchboard's own runs: a backlog of events drained by one worker process, then
emit-to-delivery latency at a steady offered load.

Each run has its own private Redis and sink processes; the endpoints are
webhook configurations on the sink, one per fan-out.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from switchboard.config import Settings, open_redis
from switchboard.worker import EventClient

from .harness import (
    PAYLOAD,
    Workers,
    emit_backlog,
    percentile,
    private_redis,
    process_cpu_seconds,
    settings_for,
    sink_process,
    webhook_admin,
    worker_env,
)

__all__ = ["configure_endpoints", "switchboard_backlog"]


async def configure_endpoints(settings: Settings, urls: list[str]) -> None:
    """One webhook configuration per URL."""
    async with open_redis(settings) as redis:
        admin = webhook_admin(settings, redis)
        for n, url in enumerate(urls):
            await admin.create("switchboard.webhook", name=f"endpoint {n}", settings={"url": url})


async def switchboard_backlog(
    fanout: int,
    *,
    events: int,
    latency_seconds: float = 0.0,
    failing: str | None = None,
    offered: float | None = None,
) -> dict[str, Any]:
    """A backlog of ``events``, one worker process: events/s and deliveries/s; then, for
    ``latency_seconds``, latency at ``offered`` events/s (half of this run's maximum unless
    given). ``failing``: one of the endpoints answers 500 (``"fail"``) or never
    (``"hang"``), and only the healthy ones are counted."""
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings = settings_for(redis_server.url)
        async with sink_process() as sink, sink_process() as other_host:
            urls = [sink.url(f"/endpoint/{n}") for n in range(fanout)]
            if failing is not None:
                # On a host of its own, as a failing endpoint is; counted nowhere.
                urls[-1] = other_host.url(f"/{failing}/endpoint")
            healthy = fanout - (failing is not None)
            await configure_endpoints(settings, urls)
            await emit_backlog(settings, events)
            workers = Workers(worker_env(redis_server.url), 1, Path(logs))
            try:
                await workers.started()
                pid = workers.processes[0].pid
                started, cpu = time.monotonic(), process_cpu_seconds(pid)
                deliveries = events * healthy
                finished = await sink.wait_count(deliveries, timeout=600)
                # The worker's own CPU (its threads: pyreqwest's runtime too) for the backlog.
                cpu = process_cpu_seconds(pid) - cpu
                elapsed = finished - started
                latency: dict[str, Any] = {}
                if latency_seconds:
                    await sink.get("reset")
                    rate = offered or 0.5 * events / elapsed
                    latency = await _latency_at(settings, sink, rate, latency_seconds)
                rss = workers.peak_rss_mb()[0]
            finally:
                workers.stop()
    return {
        "fanout": fanout,
        "failing": failing,
        "healthy_endpoints": healthy,
        "events": events,
        "seconds": elapsed,
        "events_per_second": events / elapsed,
        "deliveries_per_second": deliveries / elapsed,
        "peak_rss_mb": rss,
        "worker_cpu_ms_per_delivery": cpu * 1000 / deliveries,
        **latency,
    }


async def _latency_at(settings: Settings, sink: Any, rate: float, seconds: float) -> dict[str, Any]:
    """Emit single events at ``rate`` per second for ``seconds``, each from a task of its
    own as a web app's requests would; emit-to-sink latency."""
    count = max(1, int(rate * seconds))
    interval = 1 / rate
    async with EventClient(settings) as client:
        # Only the emits in flight are kept: thousands of finished tasks held to the end
        # made this process's garbage collection ever slower, and its pauses (between an
        # event's timestamp and its write) showed as Switchboard's latency.
        in_flight: set[asyncio.Task[str]] = set()
        start = time.monotonic()
        for n in range(count):
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offered load
            emit = asyncio.create_task(client.emit("review.published", PAYLOAD))
            in_flight.add(emit)
            emit.add_done_callback(in_flight.discard)
        await asyncio.gather(*in_flight)
    latencies: list[float] = []
    deadline = time.monotonic() + 60
    while len(latencies) < count and time.monotonic() < deadline:
        latencies += await sink.get("latencies")
        await asyncio.sleep(0.05)  # polling the sink
    return {
        "offered_events_per_second": rate,
        "latency_samples": len(latencies),
        "latency_p50_ms": percentile(latencies, 0.50),
        "latency_p99_ms": percentile(latencies, 0.99),
        "latencies_ms": latencies,
    }
