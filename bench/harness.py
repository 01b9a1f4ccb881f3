"""What every benchmark needs: a private Redis, a sink process, worker processes, waiting.

Each scenario gets a fresh Redis (never a developer's 6379) and its own sink
process; workers are real ``switchboard worker`` processes, configured as a
user runs them (attempt log, signing, SSRF guard with the loopback allow-list).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from switchboard.config import (
    ConfigStore,
    EmbeddedRedis,
    Redis,
    Settings,
    generate_secret_key,
)
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.worker import EventClient

from .deliveries import PAYLOAD

SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench"
SECRET_KEY = generate_secret_key()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def private_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


def settings_for(redis_url: str, **overrides: Any) -> Settings:
    return Settings(
        redis_url=redis_url,
        key_prefix=PREFIX,
        allow_cidrs="127.0.0.0/8,::1/128",  # type: ignore[arg-type]
        secret_key=SECRET_KEY,  # type: ignore[arg-type]
        **overrides,
    )


def webhook_admin(settings: Settings, redis: Redis) -> ConfigAdmin:
    """A ``ConfigAdmin`` for webhook configurations in ``redis``."""
    manager = IntegrationManager()
    manager.register(WebhookIntegration)
    return ConfigAdmin(manager, ConfigStore.for_settings(redis, settings))


async def emit_backlog(settings: Settings, events: int, tenant: str | None = None) -> None:
    """Queue ``events`` events as an app would in bulk: ``emit_many``, 1,000 at a time."""
    async with EventClient(settings) as client:
        for start in range(0, events, 1000):
            size = min(1000, events - start)
            batch = [{"type": "review.published", "data": PAYLOAD, "tenant": tenant}] * size
            await client.emit_many(batch)


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "SWITCHBOARD_KEY_PREFIX": PREFIX,
        "SWITCHBOARD_ALLOW_CIDRS": "127.0.0.0/8,::1/128",
        "SWITCHBOARD_SECRET_KEY": SECRET_KEY,
        # One sink on one host:port stands for many endpoints: do not measure the per-host cap.
        "SWITCHBOARD_HTTP_MAX_CONNECTIONS_PER_HOST": "100",
        # Measuring is over when a worker is stopped: do not wait for hanging endpoints.
        "SWITCHBOARD_SHUTDOWN_GRACE": "1",
        **extra,
    }


class SinkProcess:
    """``bench.sink`` in a subprocess, and a client for its stats."""

    def __init__(self, module: str = "bench.sink") -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the sink did not start")
        self._session: aiohttp.ClientSession | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def get(self, what: str) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.get(self.url(f"/{what}")) as response:
            return orjson.loads(await response.read())

    async def count(self) -> int:
        stats = await self.get("stats")
        return int(stats["count"])

    async def wait_count(self, target: int, timeout: float) -> float:
        """Wait until ``target`` requests arrived; returns the monotonic time it happened."""
        deadline = time.monotonic() + timeout
        while (count := await self.count()) < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sink got {count} of {target} requests in {timeout} s")
            await asyncio.sleep(0.01)  # polling the sink's counter
        return time.monotonic()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self.process.terminate()
        self.process.wait()


@contextlib.asynccontextmanager
async def sink_process(module: str = "bench.sink") -> AsyncIterator[SinkProcess]:
    """``module`` (``bench.sink``, or ``bench.chat_sink``) serving in a process of its own."""
    sink = SinkProcess(module)
    try:
        yield sink
    finally:
        await sink.close()


class Workers:
    """``switchboard worker`` processes, their logs in a temporary file each; with
    ``processes`` above 1, each is a supervisor of that many (``--processes``)."""

    def __init__(self, env: dict[str, str], count: int, log_dir: Path, processes: int = 1) -> None:
        self.logs = [log_dir / f"worker-{n}.log" for n in range(count)]
        self._each = processes
        argv = [SWITCHBOARD, "worker", "--processes", str(processes)]
        self.processes = [
            subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            for log in self.logs
        ]

    async def started(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not all(
            log.read_text(errors="replace").count("worker started") >= self._each
            for log in self.logs
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the workers did not start")
            await asyncio.sleep(0.02)  # polling the workers' logs

    def peak_rss_mb(self) -> list[float]:
        """Peak resident memory of each worker (VmHWM), in MB."""
        peaks = []
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
            peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of process ``pid`` so far, every thread of it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
