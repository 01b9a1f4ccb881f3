"""The ceilings a run is measured against: bare HTTP clients posting to a sink, raw arq
no-op jobs, and the naive design (an arq job and a new session per delivery).

Each function takes ``runs``: the ceilings are measured that many times (the best kept,
as a ceiling is what the machine can do), and the paired rounds (``paired.py``) take
one run each, beside Switchboard's own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from switchboard.integrations.delivery import DeliveryRequest
from switchboard.worker.delivery.ssrf import AddressPolicy
from switchboard.worker.delivery.transport import USER_AGENT, TransportParts, open_transport
from switchboard.worker.delivery.tuning import HttpTimeouts

from .deliveries import delivery_like
from .harness import ROOT, private_redis, sink_process
from .nginx import nginx_sink, nginx_version

__all__ = ["CEILING_RUNS", "CONCURRENCY", "http_ceiling", "naive_design", "queue_ceiling"]

CONCURRENCY = 64


#: Each ceiling is measured this many times and the best run kept: a ceiling is what the
#: machine can do, and a moment of noise from elsewhere on it must not lower it.
CEILING_RUNS = 3


async def http_ceiling(requests: int, runs: int = CEILING_RUNS) -> dict[str, Any]:
    """Bare clients posting the same payload to a sink, no queue, at the same concurrency:
    aiohttp's, pyreqwest's, and Switchboard's own transport on httptools alone (its three
    transports, ``transport.py``, the last with its SSRF guard but none of a delivery's
    bookkeeping). nginx where it is installed, else ``bench.sink``."""
    body, signed = delivery_like()
    headers = {**signed, "User-Agent": USER_AGENT}  # as the worker's session sends it
    nginx = nginx_version()
    async with nginx_sink() if nginx else sink_process() as sink:
        url = sink.url("/ceiling")
        aiohttp_runs = await _ceiling_runs(_aiohttp_posts(url, body, headers), requests, runs)
        reqwest_runs = await _ceiling_runs(_reqwest_posts(url, body, headers), requests, runs)
        transport_runs = await _ceiling_runs(_transport_posts(url, body, headers), requests, runs)
    return {
        "requests": requests,
        "sink": nginx or "bench.sink",
        "runs_per_second": aiohttp_runs,
        "per_second": max(aiohttp_runs),
        "reqwest_runs_per_second": reqwest_runs,
        "reqwest_per_second": max(reqwest_runs),
        "transport_runs_per_second": transport_runs,
        "transport_per_second": max(transport_runs),
    }


Posts = Callable[[int], Awaitable[None]]
Poster = Callable[[], AbstractAsyncContextManager[Posts]]


async def _ceiling_runs(posts: Poster, n: int, count: int) -> list[float]:
    runs = []
    async with posts() as post:
        for _ in range(count):
            started = time.perf_counter()
            await post(n)
            runs.append(n / (time.perf_counter() - started))
    return runs


def _aiohttp_posts(url: str, body: bytes, headers: dict[str, str]) -> Poster:
    @asynccontextmanager
    async def posts() -> AsyncIterator[Posts]:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one() -> None:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()

            yield _concurrently(one)

    return posts


def _reqwest_posts(url: str, body: bytes, headers: dict[str, str]) -> Poster:
    @asynccontextmanager
    async def posts() -> AsyncIterator[Posts]:
        from pyreqwest.client import ClientBuilder

        async with ClientBuilder().no_proxy().build() as client:

            async def one() -> None:
                request = client.post(url).headers(headers).body_bytes(body).build_streamed()
                async with request as response:
                    await response.body_reader.read(4096)

            yield _concurrently(one)

    return posts


def _transport_posts(url: str, body: bytes, headers: dict[str, str]) -> Poster:
    @asynccontextmanager
    async def posts() -> AsyncIterator[Posts]:
        parts = TransportParts(
            timeouts=HttpTimeouts(),
            policy=AddressPolicy([ipaddress.ip_network("127.0.0.0/8")]),
            idle_per_host=CONCURRENCY,
        )
        request = DeliveryRequest(url=url, body=body)
        host = urlsplit(url).hostname or ""
        async with open_transport("httptools", parts) as transport:

            async def one() -> None:
                exchange = await transport.send(host, request, headers)
                assert exchange.ok, exchange.error

            yield _concurrently(one)

    return posts


def _concurrently(one: Callable[[], Awaitable[None]]) -> Posts:
    """``n`` requests made by ``one``, at most ``CONCURRENCY`` at a time."""
    slots = asyncio.Semaphore(CONCURRENCY)

    async def limited() -> None:
        async with slots:
            await one()

    async def post(n: int) -> None:
        await asyncio.gather(*(limited() for _ in range(n)))

    return post


async def queue_ceiling(jobs: int) -> dict[str, Any]:
    """Raw arq no-op jobs per second through the same kind of Redis, one worker process."""
    runs = []
    for _ in range(CEILING_RUNS):
        with private_redis() as redis_server:
            out = subprocess.run(
                [sys.executable, "-m", "bench.arq_jobs", "noop", redis_server.url,
                 str(jobs)],
                cwd=ROOT, capture_output=True, check=True,
            )  # fmt: skip
        runs.append(orjson.loads(out.stdout))
    best: dict[str, Any] = max(runs, key=lambda run: run["per_second"])
    return {**best, "runs_per_second": [run["per_second"] for run in runs]}


async def naive_design(deliveries: int) -> dict[str, Any]:
    """One arq job per delivery, each with a new aiohttp session: the usual glue."""
    async with sink_process() as sink:
        with private_redis() as redis_server:
            out = subprocess.run(
                [sys.executable, "-m", "bench.arq_jobs", "naive", redis_server.url,
                 str(deliveries), sink.url("/naive")],
                cwd=ROOT, capture_output=True, check=True,
            )  # fmt: skip
    result: dict[str, Any] = orjson.loads(out.stdout)
    return result
