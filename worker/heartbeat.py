"""Worker heartbeats: who is in the fleet, and how busy each one is.

Each worker (``worker/runner.py``) beats every ``Settings.heartbeat_interval``
seconds: one pipeline writes its ``Heartbeat`` (JSON, expiring after
``HEARTBEAT_TTL_BEATS`` intervals), scores it in the ``workers`` index with the
beat's time, and trims index entries older than that. A clean stop removes
both; a killed worker's heartbeat expires. ``read_heartbeats`` is what
``switchboard workers`` and ``/metrics`` read; ``count_alive`` adds one command to
someone else's pipeline (``/readyz``, ``switchboard status``). All of them count a
worker alive by one measure, ``alive_within``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, ConfigDict
from redis.asyncio.client import Pipeline

from switchboard.config import REDIS_DOWN_ERRORS, Redis, RedisKeys, Settings
from switchboard.config.keys import HEARTBEAT_TTL_BEATS

from .logs import fields

__all__ = [
    "Heartbeat",
    "HeartbeatWriter",
    "WorkerLoad",
    "alive_within",
    "count_alive",
    "heartbeat_ttl",
    "read_heartbeats",
    "switchboard_version",
]

logger = logging.getLogger(__name__)


class WorkerLoad(BaseModel):
    """What a worker is doing at its beat, and what it has done since it started."""

    model_config = ConfigDict(frozen=True)

    jobs_in_flight: int = 0
    retries_in_flight: int = 0
    attempts_in_background: int = 0
    events_done: int = 0
    deliveries_done: int = 0
    #: Configurations whose circuit this worker holds open (breakers are per worker).
    circuits_open: int = 0


class Heartbeat(BaseModel):
    model_config = ConfigDict(frozen=True)

    worker_id: str
    host: str
    pid: int
    version: str
    #: Epoch seconds.
    started_at: float
    beat_at: float
    load: WorkerLoad

    def age(self, now: float) -> float:
        return max(0.0, now - self.beat_at)


def switchboard_version() -> str:
    try:
        return version("switchboard")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout never installed
        return "unknown"


def heartbeat_ttl(interval: float) -> int:
    """Seconds a heartbeat outlives its beat (whole seconds, as Redis expires keys)."""
    return max(1, math.ceil(interval * HEARTBEAT_TTL_BEATS))


def alive_within(settings: Settings) -> float:
    """Seconds since its last beat within which a worker is alive: the ready window, never
    longer than a heartbeat lives (a killed worker's index entry outlives its heartbeat
    until another beat trims it: counting it would say alive what ``workers`` says gone)."""
    return min(settings.ready_worker_window, heartbeat_ttl(settings.heartbeat_interval))


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


class HeartbeatWriter:
    """One worker's heartbeats; ``load`` is asked for at each beat."""

    def __init__(
        self,
        keys: RedisKeys,
        *,
        interval: float,
        load: Callable[[], WorkerLoad],
        worker_id: str | None = None,
        started_at: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._interval = interval
        self._load = load
        self._clock = clock
        self.worker_id = worker_id or new_worker_id()
        self._started_at = clock() if started_at is None else started_at
        self._ttl = heartbeat_ttl(interval)

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(
            worker_id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            version=switchboard_version(),
            started_at=self._started_at,
            beat_at=self._clock(),
            load=self._load(),
        )

    async def beat(self, redis: Redis) -> Heartbeat:
        """Write one heartbeat (one round trip)."""
        beat = self.heartbeat()
        now_ms = int(beat.beat_at * 1000)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.worker(self.worker_id), beat.model_dump_json(), ex=self._ttl)
            pipe.zadd(self._keys.workers, {self.worker_id: now_ms})
            pipe.zremrangebyscore(self._keys.workers, "-inf", now_ms - self._ttl * 1000)
            await pipe.execute()
        return beat

    async def run(self, redis: Redis, stop: asyncio.Event) -> None:
        """Beat until ``stop`` is set; a Redis error ends it (the runner waits Redis out)."""
        while not stop.is_set():
            await self.beat(redis)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    async def remove(self, redis: Redis) -> None:
        """Take this worker out of the fleet (a clean stop); Redis being away is let be (the
        heartbeat expires)."""
        with contextlib.suppress(*REDIS_DOWN_ERRORS):
            async with redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._keys.worker(self.worker_id))
                pipe.zrem(self._keys.workers, self.worker_id)
                await pipe.execute()
            logger.debug("heartbeat removed", extra=fields(worker_id=self.worker_id))


async def read_heartbeats(
    redis: Redis, keys: RedisKeys, *, now: float, window: float
) -> list[Heartbeat]:
    """Every worker that beat within ``window`` seconds of ``now``, most recent beat first."""
    ids = await redis.zrevrangebyscore(keys.workers, "+inf", int((now - window) * 1000))
    if not ids:
        return []
    raws = await redis.mget([keys.worker(raw.decode()) for raw in ids])
    beats = [Heartbeat.model_validate_json(raw) for raw in raws if raw is not None]
    return [beat for beat in beats if beat.age(now) <= window]


def count_alive(pipe: Pipeline, keys: RedisKeys, *, now: float, window: float) -> None:
    """Buffer into ``pipe`` the count of workers that beat within ``window`` seconds."""
    pipe.zcount(keys.workers, int((now - window) * 1000), "+inf")
