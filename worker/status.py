"""``read_status``: Switchboard's state at a glance, from Redis alone, in one round trip.

What ``switchboard status`` prints (and, later, the web app): the queue's
depth and the age of its oldest job, the retries scheduled and how many of
them are due already, dead letters, rejected events, and the configurations
enabled out of all, and the workers alive (a heartbeat within
``heartbeat.alive_within``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from switchboard.config import Redis, RedisKeys, Settings

from .heartbeat import alive_within, count_alive

__all__ = ["StatusReport", "read_status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    #: Queue jobs waiting or being run (each carries 1 to ``events_per_job`` events).
    queued_jobs: int
    #: How long the oldest of them has been due, in seconds; ``None`` when none is.
    oldest_job_age_s: float | None
    #: Deliveries scheduled for another attempt, and how many of those are due now (many
    #: due means the workers are behind, or none runs).
    retries_scheduled: int
    retries_due: int
    dead_letters: int
    rejected_events: int
    configs_enabled: int
    configs_total: int
    #: Workers whose last heartbeat is at most ``alive_within(settings)`` old.
    workers_alive: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_status(
    redis: Redis, settings: Settings, *, clock: Callable[[], float] = time.time
) -> StatusReport:
    """One pipeline of counters: nothing is scanned, whatever the numbers."""
    keys = RedisKeys(settings.key_prefix)
    now_ms = int(clock() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcard(settings.effective_queue_name)
        pipe.zrange(settings.effective_queue_name, 0, 0, withscores=True)
        pipe.zcard(keys.retries)
        pipe.zcount(keys.retries, "-inf", now_ms)
        pipe.zcard(keys.dead_letters)
        pipe.llen(keys.rejected_events)
        pipe.scard(keys.configs_enabled)
        pipe.hlen(keys.configs)
        count_alive(pipe, keys, now=now_ms / 1000, window=alive_within(settings))
        queued, oldest, retries, due, dead, rejected, enabled, total, alive = await pipe.execute()
    # A job's score is when it is due (when it was queued, for an event emitted now).
    age = max(0.0, (now_ms - oldest[0][1]) / 1000) if oldest else None
    return StatusReport(
        queued_jobs=queued,
        oldest_job_age_s=None if age is None else round(age, 3),
        retries_scheduled=retries,
        retries_due=due,
        dead_letters=dead,
        rejected_events=rejected,
        configs_enabled=enabled,
        configs_total=total,
        workers_alive=alive,
    )
