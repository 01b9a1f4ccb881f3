"""Recovery: a worker killed with SIGKILL while its events are on the wire.

Worker A takes a backlog of events for a slow endpoint (each answered after
``ENDPOINT_MS``, longer than a healthy worker takes to start) and sends all of
them; once every request has reached the sink, a healthy worker B is started,
and A is SIGKILLed before any answer comes. B sends A's events again once A's
leases run out (``docs/delivery.md``). Measured from the kill: when the sink
has every event a second time (delivered again), and when every event is
recorded delivered (that, plus the endpoint's answer).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, cast

from switchboard.config import Redis, RedisKeys, open_redis
from switchboard.worker.delivery import DeliveryStatus
from switchboard.worker.metric_names import DELIVERIES

from .harness import (
    PREFIX,
    Workers,
    emit_backlog,
    private_redis,
    settings_for,
    sink_process,
    webhook_admin,
    worker_env,
)

__all__ = ["RECOVERY_EVENTS", "sigkill_recovery"]


async def _count(redis: Redis, key: str, field: str) -> int:
    return int(await cast("Awaitable[bytes | None]", redis.hget(key, field)) or 0)


ENDPOINT_MS = 3000
#: Events on the wire when the worker is killed.
RECOVERY_EVENTS = 20


async def sigkill_recovery(events: int, lease: float | None = None) -> dict[str, Any]:
    """``lease``: ``SWITCHBOARD_LEASE`` for both workers (``None``: the default)."""
    extra = {} if lease is None else {"SWITCHBOARD_LEASE": str(lease)}
    # The delivered count /metrics reads (``worker/metric_names.py``, ``repository.py``).
    delivered_field = f"{DELIVERIES}|switchboard.webhook|{DeliveryStatus.DELIVERED}"
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings = settings_for(redis_server.url)
        env = worker_env(redis_server.url, **extra)
        async with sink_process() as sink, open_redis(settings) as redis:
            await webhook_admin(settings, redis).create(
                "switchboard.webhook",
                name="slow",
                settings={"url": sink.url(f"/slow/{ENDPOINT_MS}/in")},
            )
            await emit_backlog(settings, events)
            (Path(logs) / "a").mkdir()
            (Path(logs) / "b").mkdir()
            doomed = Workers(env, 1, Path(logs) / "a")
            healthy: Workers | None = None
            try:
                await doomed.started()
                await sink.wait_count(events, timeout=60)  # every request on the wire
                healthy = Workers(env, 1, Path(logs) / "b")
                await healthy.started()
                victim = doomed.processes[0]
                victim.kill()
                killed = time.monotonic()
                victim.wait()
                if await sink.count() > events:
                    raise RuntimeError("A's events were sent twice before it was killed")
                sent_again = await sink.wait_count(2 * events, timeout=120) - killed
                metrics = RedisKeys(PREFIX).metrics
                while await _count(redis, metrics, delivered_field) < events:
                    if time.monotonic() - killed > 120:
                        raise TimeoutError("the killed worker's events were not recorded")
                    await asyncio.sleep(0.02)  # polling the delivered count
                recorded = time.monotonic() - killed
                received = await sink.count()
            finally:
                doomed.stop()
                if healthy is not None:
                    healthy.stop()
    return {
        "events": events,
        "endpoint_ms": ENDPOINT_MS,
        "lease_s": lease,
        "sent_again_seconds": sent_again,
        "recorded_seconds": recorded,
        "requests": received,
    }
