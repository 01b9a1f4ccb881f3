"""Scale: a long drain, many configurations, two workers against one.

Each scenario has its own private Redis and sink, like those in
``bench.scenarios``; sizes come from the same ``Scale``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from switchboard.config import ConfigCache, ConfigStore, Settings, open_redis
from switchboard.integrations import ConfigAdmin, Event, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.worker import EventClient

from .harness import (
    PAYLOAD,
    Workers,
    emit_backlog,
    private_redis,
    settings_for,
    sink_process,
    webhook_admin,
    worker_env,
)

__all__ = ["drain", "many_configs", "scale_out"]

SLICES = 10
TENANT = "acme"


@contextlib.asynccontextmanager
async def _backlog_workers(
    events: int, count: int, processes: int = 1
) -> AsyncIterator[tuple[Workers, Any]]:
    """A private Redis and sink, one webhook configuration, a backlog of ``events`` queued,
    and ``count`` worker processes started on it (each a supervisor of ``processes``):
    (workers, sink)."""
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings = settings_for(redis_server.url)
        async with sink_process() as sink:
            async with open_redis(settings) as redis:
                admin = webhook_admin(settings, redis)
                await admin.create(
                    "switchboard.webhook", name="backlog", settings={"url": sink.url("/in")}
                )
            await emit_backlog(settings, events)
            workers = Workers(worker_env(redis_server.url), count, Path(logs), processes)
            try:
                await workers.started()
                yield workers, sink
            finally:
                workers.stop()


#: Queued after the measured backlog and drained uncounted: as many events as a worker
#: runs at once (16 jobs of 100), so that the last measured tenth is not the wind-down,
#: when fewer jobs are left than the worker runs (a slower end that is no slowdown).
DRAIN_TAIL = (
    Settings.model_fields["worker_concurrency"].default
    * Settings.model_fields["events_per_job"].default
)


async def drain(events: int) -> dict[str, Any]:
    """A backlog of ``events`` (fan-out 1) drained by one worker: peak RSS, and throughput
    in ten slices of equal size (are the last as fast as the first?)."""
    async with _backlog_workers(events + DRAIN_TAIL, 1) as (workers, sink):
        started = time.monotonic()
        marks = [started]  # when each slice's last delivery had arrived
        for n in range(1, SLICES + 1):
            marks.append(await sink.wait_count(n * events // SLICES, timeout=900))
        rss = workers.peak_rss_mb()[0]
    per_slice = events // SLICES
    slices = [per_slice / max(end - start, 1e-9) for start, end in itertools.pairwise(marks)]
    return {
        "events": events,
        "uncounted_tail": DRAIN_TAIL,
        "seconds": marks[-1] - started,
        "events_per_second": events / (marks[-1] - started),
        "slices_per_second": slices,
        "last_slice_vs_first": slices[-1] / slices[0],
        "peak_rss_mb": rss,
    }


async def many_configs(configs: int, events: int) -> dict[str, Any]:
    """``configs`` configurations in the store: what each event's lookup costs (in the
    process, and in Redis commands, against a store of one), and how long a change takes
    to reach a running worker."""
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings = settings_for(redis_server.url)
        async with sink_process() as sink, open_redis(settings) as redis:
            admin = webhook_admin(settings, redis)
            matched = await admin.create(
                "switchboard.webhook",
                name="the one that matches",
                tenant=TENANT,
                settings={"url": sink.url("/before")},
            )
            workers = Workers(worker_env(redis_server.url), 1, Path(logs))
            try:
                await workers.started()
                small = await _commands_per_event(settings, redis, sink, events)
                small_lookup = await _lookup_us(settings, redis, events)
                for n in range(configs - 1):  # other tenants' configurations
                    await admin.create(
                        "switchboard.webhook",
                        name=f"other {n}",
                        tenant=f"tenant-{n % 1000}",
                        settings={"url": sink.url(f"/other/{n}")},
                    )
                large_lookup = await _lookup_us(settings, redis, events)
                large = await _commands_per_event(settings, redis, sink, events)
                propagation = await _propagation_ms(settings, admin, matched.id, sink)
            finally:
                workers.stop()
    return {
        "configs": configs,
        "lookup_us_one_config": small_lookup,
        "lookup_us": large_lookup,
        "redis_commands_per_event_one_config": small,
        "redis_commands_per_event": large,
        "change_propagation_ms": propagation,
    }


async def _commands_per_event(settings: Settings, redis: Any, sink: Any, events: int) -> float:
    """Redis commands the server ran per event while a worker delivered ``events``."""
    await sink.get("reset")
    await _settled(redis)  # the worker's cache has taken in every change made before
    before = await _commands(redis)
    await emit_backlog(settings, events, tenant=TENANT)
    await sink.wait_count(events, timeout=300)
    # The last records are written just after their deliveries arrive: let them land.
    await _settled(redis)
    return (await _commands(redis) - before) / events


async def _commands(redis: Any) -> int:
    stats = cast("dict[str, dict[str, Any]]", await redis.info("commandstats"))
    return sum(int(stat["calls"]) for name, stat in stats.items() if name != "cmdstat_info")


#: Commands a fifth of a second that an idle worker makes (arq's queue polling, about
#: 110 a second) stay under this; a worker's cache taking in 10,000 changes makes
#: thousands.
_IDLE_COMMANDS = 50


async def _settled(redis: Any) -> None:
    """Until the command count stands still (but for idle polling) for three samples in
    a row: a worker's cache catching up with many changes pauses now and then, and one
    quiet sample let that catch-up into the measurement (2.3 commands an event)."""
    previous, quiet = -1, 0
    while quiet < 3:
        count = await _commands(redis)
        quiet = quiet + 1 if previous >= 0 and count - previous < _IDLE_COMMANDS else 0
        previous = count
        await asyncio.sleep(0.2)  # sampling the server's counters


async def _lookup_us(settings: Settings, redis: Any, events: int) -> float:
    """Microseconds per event for the configuration lookup a handler makes
    (``get_configs(event)``), from a cache loaded as a worker loads it."""
    manager = IntegrationManager()
    webhook = manager.register(WebhookIntegration)
    store = ConfigStore.for_settings(redis, settings)
    async with ConfigCache(store, redis, poll_interval=60) as cache:
        with manager.running(cache):
            sample = [
                Event(type="review.published", tenant=TENANT, data=PAYLOAD) for _ in range(events)
            ]
            started = time.perf_counter()
            for event in sample:
                if not await webhook.get_configs(event):
                    raise RuntimeError("the matching configuration was not found")
            return (time.perf_counter() - started) / events * 1e6


async def _propagation_ms(
    settings: Settings, admin: ConfigAdmin, config_id: str, sink: Any
) -> float:
    """From a configuration change (a new URL) to the worker using it: events keep
    flowing, and the first to arrive at the new URL ends the clock (so the figure
    includes one delivery)."""
    await admin.update(config_id, settings={"url": sink.url("/after")})
    changed = time.monotonic()
    async with EventClient(settings) as client:
        while not (await sink.get("stats"))["by_path"].get("/after"):
            if time.monotonic() - changed > 60:
                raise TimeoutError("the change did not reach the worker in 60 s")
            await client.emit("review.published", PAYLOAD, tenant=TENANT)
    return (time.monotonic() - changed) * 1000


async def scale_out(events: int) -> dict[str, Any]:
    """The same backlog (fan-out 1) drained by one worker process, by two started apart,
    and by ``switchboard worker --processes 2`` (one supervisor, two children)."""
    rates = {}
    for key, count, processes in (("one", 1, 1), ("two", 2, 1), ("supervised", 1, 2)):
        async with _backlog_workers(events, count, processes) as (_, sink):
            started = time.monotonic()
            rates[key] = events / (await sink.wait_count(events, timeout=900) - started)
    return {
        "events": events,
        "one_worker_events_per_second": rates["one"],
        "two_workers_events_per_second": rates["two"],
        "two_vs_one": rates["two"] / rates["one"],
        "processes_2_events_per_second": rates["supervised"],
        "processes_2_vs_1": rates["supervised"] / rates["one"],
    }
