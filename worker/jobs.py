"""The arq jobs a worker runs: dispatch a batch of events, or record a rejected payload.

arq hands each job a ``ctx`` dict; ours carries a ``JobServices`` under
``"switchboard"``, built once per worker process by ``worker.runner``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from arq import Retry
from arq.worker import Worker as ArqWorker
from pydantic import ValidationError

from switchboard.config import (
    EVENT_DEDUP_TTL,
    REDIS_DOWN_ERRORS,
    Redis,
    RedisKeys,
    describe_redis_error,
)
from switchboard.config.field_errors import errors_text, field_errors
from switchboard.integrations import Event

from .dispatcher import Dispatcher
from .logs import fields
from .metric_names import EVENTS_DISPATCHED
from .queue import oversize
from .rejected import RejectedEvent, RejectedEventLog

__all__ = [
    "SERVICES",
    "EventDeduplicator",
    "JobServices",
    "JobTally",
    "dispatch_job",
    "drain_jobs",
    "reject_job",
    "running_jobs",
]

logger = logging.getLogger(__name__)

#: The key of ``JobServices`` in arq's job context.
SERVICES: Final = "switchboard"

_PREVIEW_CHARS: Final = 512
_ID_FIELD: Final = re.compile(r'"id"\s*:\s*"([^"\\]{1,200})"')


#: Keep the events this job may dispatch: those first seen now, or first seen by this
#: same job (a run after a crash), and count those first seen in /metrics' events
#: dispatched. KEYS: the metrics hash, then one seen-key per event; ARGV: job id, ttl (s),
#: the counter's field.
_DEDUP_SCRIPT = """
local fresh, first_seen = {}, 0
for i = 2, #KEYS do
  local first = redis.call('GET', KEYS[i])
  if not first then
    redis.call('SET', KEYS[i], ARGV[1], 'EX', tonumber(ARGV[2]))
    fresh[#fresh + 1] = i - 1
    first_seen = first_seen + 1
  elseif first == ARGV[1] then
    fresh[#fresh + 1] = i - 1
  end
end
if first_seen > 0 then redis.call('HINCRBY', KEYS[1], ARGV[3], first_seen) end
return fresh
"""


class EventDeduplicator:
    """An event id emitted again within ``ttl`` seconds is dispatched once."""

    def __init__(self, redis: Redis, keys: RedisKeys, *, ttl: int = EVENT_DEDUP_TTL) -> None:
        self._keys = keys
        self._ttl = ttl
        self._script = redis.register_script(_DEDUP_SCRIPT)

    async def fresh(self, events: list[Event], job_id: str) -> list[Event]:
        """One round trip for the whole job."""
        if not events:
            return events
        keys = [
            self._keys.metrics,
            *(self._keys.event_seen(event.id, event.tenant) for event in events),
        ]
        kept = await self._script(keys=keys, args=[job_id, self._ttl, EVENTS_DISPATCHED])
        fresh: list[Event] = []
        seen: set[tuple[str | None, str]] = set()
        for index in kept:
            event = events[index - 1]
            if (event.tenant, event.id) not in seen:  # the same event twice in one job: once
                seen.add((event.tenant, event.id))
                fresh.append(event)
        if len(fresh) < len(events):
            skipped = {(e.tenant, e.id) for e in events} - {(e.tenant, e.id) for e in fresh}
            for tenant, event_id in sorted(skipped, key=lambda pair: (pair[0] or "", pair[1])):
                logger.info(
                    "duplicate event skipped", extra=fields(event_id=event_id, tenant=tenant)
                )
        return fresh


@dataclass(slots=True)
class JobTally:
    """What this worker's jobs have done so far (its heartbeat's load)."""

    events: int = 0


@dataclass(frozen=True, slots=True)
class JobServices:
    dispatcher: Dispatcher
    rejected: RejectedEventLog
    dedup: EventDeduplicator
    max_event_bytes: int
    #: Seconds a dispatch job may take before it is handed back to run again.
    job_budget: float = 60.0
    #: Seconds before a job handed back (out of time, or interrupted by Redis) runs again.
    rerun_delay: float = 2.0
    tally: JobTally = field(default_factory=JobTally)


async def dispatch_job(ctx: dict[str, Any], encoded_events: list[Any]) -> int:
    """Decode each event, reject the bad ones, dispatch the rest concurrently.

    Redis failing midway makes arq run the whole job again shortly (``Retry``),
    rather than fail it: nothing accepted is dropped, and deliveries recorded on
    the first run are not sent twice.
    """
    services: JobServices = ctx[SERVICES]
    try:
        # Within arq's job timeout, which would fail the job (and drop its events):
        # running out of time here runs it again instead (recorded deliveries are kept).
        async with asyncio.timeout(services.job_budget):
            return await _dispatch(ctx, encoded_events)
    except TimeoutError:
        logger.warning(
            "job ran out of time; it will run again", extra=fields(job_id=ctx.get("job_id"))
        )
        raise Retry(defer=services.rerun_delay) from None
    except REDIS_DOWN_ERRORS as exc:
        logger.warning(
            "job interrupted: Redis failed; it will run again",
            extra=fields(job_id=ctx.get("job_id"), reason=describe_redis_error(exc)),
        )
        raise Retry(defer=services.rerun_delay) from None


async def _dispatch(ctx: dict[str, Any], encoded_events: list[Any]) -> int:
    services: JobServices = ctx[SERVICES]
    job_id = ctx.get("job_id")
    events: list[Event] = []
    rejected: list[RejectedEvent] = []
    for item in encoded_events:
        event_or_rejection = _decode(item, services.max_event_bytes, job_id)
        if isinstance(event_or_rejection, Event):
            events.append(event_or_rejection)
        else:
            rejected.append(event_or_rejection)
    if rejected:
        await _record(services, rejected)
    events = await services.dedup.fresh(events, str(job_id))
    # A second run of this job (its worker died): deliveries check their records first.
    rerun = ctx.get("job_try", 1) > 1
    queued: datetime | None = ctx.get("enqueue_time")  # arq's, from the job's "et"
    enqueued_at = queued.timestamp() if queued is not None else None
    dispatch = services.dispatcher.dispatch
    if len(events) == 1:
        await dispatch(events[0], rerun=rerun, enqueued_at=enqueued_at)
    elif events:
        await asyncio.gather(
            *(dispatch(event, rerun=rerun, enqueued_at=enqueued_at) for event in events)
        )
    services.tally.events += len(events)
    return len(events)


async def reject_job(ctx: dict[str, Any], reason: str, preview: str) -> None:
    """A payload the deserializer could not read as a job: keep it on record, run nothing."""
    services: JobServices = ctx[SERVICES]
    await _record(
        services, [RejectedEvent(reason=reason, job_id=ctx.get("job_id"), preview=preview)]
    )


def _decode(item: Any, max_bytes: int, job_id: str | None) -> Event | RejectedEvent:
    if not isinstance(item, str):
        preview = orjson.dumps(item, default=repr)[:_PREVIEW_CHARS].decode(errors="replace")
        return RejectedEvent(
            reason="not an event (JSON text expected)", job_id=job_id, preview=preview
        )
    size = oversize(item, max_bytes)
    if size:
        return RejectedEvent(
            reason=f"the event is {size} bytes as JSON, over the limit of {max_bytes}",
            event_id=_claimed_id(item[:_PREVIEW_CHARS]),  # cut short: the regex finds it
            job_id=job_id,
            preview=item[:_PREVIEW_CHARS],
        )
    try:
        return Event.model_validate_json(item)
    except ValidationError as exc:
        return RejectedEvent(
            reason=f"not a valid event: {errors_text(field_errors(exc, whole='event'))}",
            event_id=_claimed_id(item),
            job_id=job_id,
            preview=item[:_PREVIEW_CHARS],
        )


def _claimed_id(text: str) -> str | None:
    """The ``id`` a malformed event claims, if that much of it can be read."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        # Not JSON, or cut short for the preview: look for the id field itself.
        found = _ID_FIELD.search(text)
        return found.group(1) if found else None
    claimed = value.get("id") if isinstance(value, dict) else None
    return claimed if isinstance(claimed, str) else None


async def _record(services: JobServices, rejected: list[RejectedEvent]) -> None:
    for entry in rejected:
        logger.error(
            "event rejected",
            extra=fields(event_id=entry.event_id, job_id=entry.job_id, reason=entry.reason),
        )
    await services.rejected.record(rejected)


def running_jobs(worker: ArqWorker) -> dict[str, asyncio.Task[Any]]:
    """The jobs ``worker`` is running now, by job id."""
    return {job_id: task for job_id, task in worker.tasks.items() if not task.done()}


async def drain_jobs(worker: ArqWorker, grace: float) -> None:
    """Let the jobs in flight finish within ``grace`` seconds (``allow_pick_jobs`` is
    already off); the rest go back to the queue when they are cancelled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    # A poll under way when the flag was set may still start jobs: look again until none run.
    while in_flight := list(running_jobs(worker).values()):
        remaining = deadline - loop.time()
        if remaining <= 0:
            logger.warning(
                "grace period over: jobs handed back to the queue",
                extra=fields(jobs=len(in_flight)),
            )
            return
        await asyncio.wait(in_flight, timeout=remaining)
