"""The scenarios, each in its own private Redis with its own sink process.

Sizes come from a ``Scale``: ``full`` for the README's figures, ``smoke`` for CI
(seconds, checking only that results come out well formed).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from switchboard.worker import EventClient

from .backlog import configure_endpoints, switchboard_backlog
from .ceilings import http_ceiling, naive_design, queue_ceiling
from .failures import one_failing
from .harness import (
    PAYLOAD,
    Workers,
    percentile,
    private_redis,
    settings_for,
    sink_process,
    worker_env,
)
from .paired import paired_rounds
from .recovery import RECOVERY_EVENTS, sigkill_recovery
from .scale import drain, many_configs, scale_out
from .versus_apprise import versus_apprise

__all__ = ["SCALES", "STEPS", "Scale", "run_all"]


@dataclass(frozen=True, kw_only=True)
class Scale:
    name: str
    http_requests: int
    noop_jobs: int
    backlog_events: int
    latency_seconds: float
    naive_deliveries: int
    sync_events: int
    drain_events: int
    configs: int
    lookup_events: int
    scale_out_events: int
    failure_events: int
    failure_rounds: int
    #: Messages to each service through Apprise and through Switchboard; and through
    #: Apprise as shipped, whose own pacing (2 a second for Matrix) sets its rate.
    compare_messages: int
    as_shipped_messages: int
    #: Paired rounds of fan-out 10 and its yardsticks (``paired.py``), events in each.
    paired_rounds: int = 3
    paired_events: int = 5_000
    #: ``SWITCHBOARD_LEASE`` in the SIGKILL recovery run (``None``: the default, whose
    #: figure the README states; the smoke run shortens it to finish in seconds).
    recovery_lease: float | None = None


SCALES = {
    "full": Scale(
        name="full",
        http_requests=20_000,
        noop_jobs=10_000,
        backlog_events=10_000,
        latency_seconds=10.0,
        naive_deliveries=3_000,
        sync_events=20,
        drain_events=100_000,
        configs=10_000,
        lookup_events=2_000,
        scale_out_events=20_000,
        failure_events=3_000,
        failure_rounds=5,
        compare_messages=1_000,
        as_shipped_messages=40,
    ),
    "smoke": Scale(
        name="smoke",
        http_requests=300,
        noop_jobs=200,
        backlog_events=200,
        latency_seconds=1.0,
        naive_deliveries=100,
        sync_events=3,
        drain_events=500,
        configs=30,
        lookup_events=50,
        scale_out_events=300,
        failure_events=50,
        failure_rounds=1,
        compare_messages=20,
        as_shipped_messages=2,
        paired_rounds=1,
        paired_events=50,
        recovery_lease=2.0,
    ),
}


async def sync_design(scale: Scale) -> dict[str, Any]:
    """Review Board's way: post to each of 10 endpoints (20 ms each) one after another;
    against Switchboard delivering the same event to the same 10 endpoints."""
    body = orjson.dumps({"id": "evt", "type": "review.published", "data": PAYLOAD})
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings = settings_for(redis_server.url)
        async with sink_process() as sink:
            urls = [sink.url(f"/slow/20/{n}") for n in range(10)]
            sync_times = []
            async with aiohttp.ClientSession() as session:
                for _ in range(scale.sync_events):
                    started = time.perf_counter()
                    for url in urls:
                        async with session.post(url, data=body) as response:
                            await response.read()
                    sync_times.append(time.perf_counter() - started)
            await configure_endpoints(settings, urls)
            workers = Workers(worker_env(redis_server.url), 1, Path(logs))
            try:
                await workers.started()
                switchboard_times = []
                async with EventClient(settings) as client:
                    for n in range(scale.sync_events):
                        before = await sink.count()
                        started = time.monotonic()
                        await client.emit("review.published", PAYLOAD)
                        arrived = await sink.wait_count(before + 10, timeout=30)
                        switchboard_times.append(arrived - started)
                        del n
            finally:
                workers.stop()
    return {
        "endpoints": 10,
        "endpoint_ms": 20,
        "sync_median_ms": percentile(sync_times, 0.5) * 1000,
        "switchboard_median_ms": percentile(switchboard_times, 0.5) * 1000,
    }


#: Every scenario, in the order one run makes them.
#: Each takes the scale and the results so far (the failure runs offer the load that the
#: all-healthy run was measured at, to compare latencies under the same load).
Step = Callable[[Scale, dict[str, Any]], Awaitable[dict[str, Any]]]


def _backlog(fanout: int) -> Step:
    def step(scale: Scale, done: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        return switchboard_backlog(
            fanout, events=scale.backlog_events, latency_seconds=scale.latency_seconds
        )

    return step


def _with_one(failing: str) -> Step:
    def step(scale: Scale, done: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        return one_failing(
            failing,
            events=scale.failure_events,
            rounds=scale.failure_rounds,
            latency_seconds=scale.latency_seconds,
            offered=done["fanout_10"]["offered_events_per_second"],
        )

    return step


STEPS: tuple[tuple[str, Step], ...] = (
    ("http_ceiling", lambda scale, _: http_ceiling(scale.http_requests)),
    ("queue_ceiling", lambda scale, _: queue_ceiling(scale.noop_jobs)),
    ("fanout_1", _backlog(1)),
    ("fanout_10", _backlog(10)),
    ("naive", lambda scale, _: naive_design(scale.naive_deliveries)),
    (
        "paired",
        lambda scale, _: paired_rounds(
            rounds=scale.paired_rounds,
            events=scale.paired_events,
            requests=scale.http_requests,
            naive_deliveries=scale.naive_deliveries,
        ),
    ),
    ("sync", lambda scale, _: sync_design(scale)),
    ("one_failing", _with_one("fail")),
    ("one_hanging", _with_one("hang")),
    ("drain", lambda scale, _: drain(scale.drain_events)),
    ("many_configs", lambda scale, _: many_configs(scale.configs, scale.lookup_events)),
    ("scale_out", lambda scale, _: scale_out(scale.scale_out_events)),
    ("recovery", lambda scale, _: sigkill_recovery(RECOVERY_EVENTS, scale.recovery_lease)),
    (
        "versus_apprise",
        lambda scale, _: versus_apprise(scale.compare_messages, scale.as_shipped_messages),
    ),
)


async def run_all(scale: Scale, progress: Any) -> dict[str, Any]:
    results: dict[str, Any] = {"scale": scale.name}
    for name, step in STEPS:
        progress.set_description(name)
        results[name] = await step(scale, results)
        progress.update(1)
    return results
