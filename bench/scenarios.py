"""The scenarios, each in its own private Redis with its own sink process.

Sizes come from a ``Scale``: ``full`` for the README's figures, ``smoke`` for CI
(seconds, checking only that results come out well formed).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from switchboard.worker import EventClient

from .backlog import configure_endpoints, switchboard_backlog
from .failures import one_failing
from .harness import (
    PAYLOAD,
    ROOT,
    Workers,
    percentile,
    private_redis,
    settings_for,
    sink_process,
    worker_env,
)
from .nginx import nginx_sink, nginx_version
from .scale import drain, many_configs, scale_out
from .versus_apprise import versus_apprise

__all__ = ["SCALES", "STEPS", "Scale", "run_all"]


@dataclass(frozen=True)
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


SCALES = {
    "full": Scale(
        "full",
        20_000,
        10_000,
        10_000,
        10.0,
        3_000,
        20,
        100_000,
        10_000,
        2_000,
        20_000,
        3_000,
        3,
        1_000,
        40,
    ),
    "smoke": Scale("smoke", 300, 200, 200, 1.0, 100, 3, 500, 30, 50, 300, 50, 1, 20, 2),
}
CONCURRENCY = 64


#: Each ceiling is measured this many times and the best run kept: a ceiling is what the
#: machine can do, and a moment of noise from elsewhere on it must not lower it.
CEILING_RUNS = 3


async def http_ceiling(scale: Scale) -> dict[str, Any]:
    """Bare clients posting the same payload to a sink, no queue, at the same concurrency:
    aiohttp's, then pyreqwest's (Switchboard's two transports, ``transport.py``). nginx
    where it is installed, else ``bench.sink``."""
    body = orjson.dumps({"id": "evt", "type": "review.published", "data": PAYLOAD})
    nginx = nginx_version()
    async with nginx_sink() if nginx else sink_process() as sink:
        url = sink.url("/ceiling")
        aiohttp_runs = await _ceiling_runs(_aiohttp_posts(url, body), scale.http_requests)
        reqwest_runs = await _ceiling_runs(_reqwest_posts(url, body), scale.http_requests)
    return {
        "requests": scale.http_requests,
        "sink": nginx or "bench.sink",
        "runs_per_second": aiohttp_runs,
        "per_second": max(aiohttp_runs),
        "reqwest_runs_per_second": reqwest_runs,
        "reqwest_per_second": max(reqwest_runs),
    }


Posts = Callable[[int], Awaitable[None]]
Poster = Callable[[], AbstractAsyncContextManager[Posts]]


async def _ceiling_runs(posts: Poster, n: int) -> list[float]:
    runs = []
    async with posts() as post:
        for _ in range(CEILING_RUNS):
            started = time.perf_counter()
            await post(n)
            runs.append(n / (time.perf_counter() - started))
    return runs


def _aiohttp_posts(url: str, body: bytes) -> Poster:
    @asynccontextmanager
    async def posts() -> AsyncIterator[Posts]:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with slots, session.post(url, data=body) as response:
                    await response.read()

            async def post(n: int) -> None:
                await asyncio.gather(*(one() for _ in range(n)))

            yield post

    return posts


def _reqwest_posts(url: str, body: bytes) -> Poster:
    @asynccontextmanager
    async def posts() -> AsyncIterator[Posts]:
        from pyreqwest.client import ClientBuilder

        async with ClientBuilder().no_proxy().build() as client:
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with slots:
                    request = client.post(url).body_bytes(body).build_streamed()
                    async with request as response:
                        await response.body_reader.read(4096)

            async def post(n: int) -> None:
                await asyncio.gather(*(one() for _ in range(n)))

            yield post

    return posts


async def queue_ceiling(scale: Scale) -> dict[str, Any]:
    """Raw arq no-op jobs per second through the same kind of Redis, one worker process."""
    runs = []
    for _ in range(CEILING_RUNS):
        with private_redis() as redis_server:
            out = subprocess.run(
                [sys.executable, "-m", "bench.arq_jobs", "noop", redis_server.url,
                 str(scale.noop_jobs)],
                cwd=ROOT, capture_output=True, check=True,
            )  # fmt: skip
        runs.append(orjson.loads(out.stdout))
    best: dict[str, Any] = max(runs, key=lambda run: run["per_second"])
    return {**best, "runs_per_second": [run["per_second"] for run in runs]}


async def naive_design(scale: Scale) -> dict[str, Any]:
    """One arq job per delivery, each with a new aiohttp session: the usual glue."""
    async with sink_process() as sink:
        with private_redis() as redis_server:
            out = subprocess.run(
                [sys.executable, "-m", "bench.arq_jobs", "naive", redis_server.url,
                 str(scale.naive_deliveries), sink.url("/naive")],
                cwd=ROOT, capture_output=True, check=True,
            )  # fmt: skip
    result: dict[str, Any] = orjson.loads(out.stdout)
    return result


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
    ("http_ceiling", lambda scale, _: http_ceiling(scale)),
    ("queue_ceiling", lambda scale, _: queue_ceiling(scale)),
    ("fanout_1", _backlog(1)),
    ("fanout_10", _backlog(10)),
    ("naive", lambda scale, _: naive_design(scale)),
    ("sync", lambda scale, _: sync_design(scale)),
    ("one_failing", _with_one("fail")),
    ("one_hanging", _with_one("hang")),
    ("drain", lambda scale, _: drain(scale.drain_events)),
    ("many_configs", lambda scale, _: many_configs(scale.configs, scale.lookup_events)),
    ("scale_out", lambda scale, _: scale_out(scale.scale_out_events)),
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
