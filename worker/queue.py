"""The queue: how events travel from producers to workers, as arq jobs, in JSON.

One job carries one or more events (``emit`` makes a job of one,
``emit_many`` packs up to ``Settings.events_per_job`` into each)::

    arq:job:<job id>   {"f": "switchboard.dispatch", "a": [["<event JSON>", ...]],
                        "k": {}, "t": 1, "et": <enqueued at, ms>}
    <queue name>       sorted set: job id -> due time (ms)

Each event travels as its own JSON text so that a worker can check its size
and decode it alone: one bad event is rejected, its batch-mates go on.

arq pickles jobs by default, which would let anyone who can write to Redis
run code in a worker. Here the serializer is orjson and the deserializer
never unpickles and never raises: whatever it cannot read as a Switchboard
job becomes a ``switchboard.reject`` job, which records it in the
rejected-events log (``switchboard rejected list``) and lets the worker go on.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Protocol

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from switchboard.config.field_errors import errors_text, field_errors, plain_reason
from switchboard.config.keys import ARQ_JOB_KEY_PREFIX, RedisKeys
from switchboard.config.settings import Settings
from switchboard.integrations.events import Event

from .errors import InvalidEventError
from .metric_names import EVENTS_EMITTED

__all__ = [
    "DISPATCH_JOB",
    "REJECT_JOB",
    "EventEncoder",
    "EventSchemas",
    "JobDecoder",
    "QueuePipeline",
    "QueuedJob",
    "oversize",
    "serialize_job",
]

#: The arq function names a Switchboard queue carries; nothing else is run.
DISPATCH_JOB: Final = "switchboard.dispatch"
REJECT_JOB: Final = "switchboard.reject"

#: The keys a mapping in an ``emit_many`` batch may have.
_BATCH_ITEM_KEYS: Final = frozenset({"type", "data", "tenant", "id", "occurred_at"})

#: How much of an unreadable payload the rejected-events log keeps.
_PREVIEW_BYTES: Final = 512

EventSchemas = Mapping[str, type[BaseModel]]


def serialize_job(value: Any) -> bytes:
    """arq's serializer: JSON. Anything JSON cannot hold (an exception in a result) as text."""
    return orjson.dumps(value, default=repr)


_job_sequence = itertools.count()


def _job_id(enqueued_ms: int) -> str:
    """Unique, and ordered within one producer: jobs due in the same millisecond
    (one ``emit_many`` batch) share a queue score, and Redis then orders them by id."""
    sequence = next(_job_sequence) & 0xFFFFFF
    return f"{enqueued_ms:012x}{sequence:06x}{os.urandom(7).hex()}"


class QueuedJob:
    """One job ready to write: ``arq:job:<id>`` and its entry in the queue."""

    __slots__ = ("enqueued_ms", "events", "id", "key", "payload")

    def __init__(self, encoded_events: Sequence[str]) -> None:
        self.events = len(encoded_events)
        self.enqueued_ms = _now_ms()
        self.id = _job_id(self.enqueued_ms)
        self.key = ARQ_JOB_KEY_PREFIX + self.id
        job = {"f": DISPATCH_JOB, "a": [encoded_events], "k": {}, "t": 1, "et": self.enqueued_ms}
        self.payload = orjson.dumps(job)


class QueuePipeline(Protocol):
    """The commands a job takes, as both redis-py pipelines (sync and async) buffer them."""

    def psetex(self, name: str, time_ms: int, value: bytes) -> Any: ...
    def zadd(self, name: str, mapping: Mapping[str, int]) -> Any: ...
    def hincrby(self, name: str, key: str, amount: int = 1) -> Any: ...


class EventEncoder:
    """Validates events where they enter and packs them into jobs. Shared by both clients."""

    def __init__(self, settings: Settings, schemas: EventSchemas | None = None) -> None:
        self._max_bytes = settings.max_event_bytes
        self._per_job = settings.events_per_job
        self.queue_name = settings.effective_queue_name
        self.ttl_ms = int(settings.queue_retention * 1000)
        self.metrics_key = RedisKeys(settings.key_prefix).metrics
        self.schemas: dict[str, type[BaseModel]] = dict(schemas or {})

    def encode(
        self,
        event_type: str,
        data: Mapping[str, Any] | BaseModel | None,
        *,
        tenant: str | None = None,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        config_id: str | None = None,
    ) -> tuple[str, str]:
        """``(event id, event JSON)``, or ``InvalidEventError`` saying what is wrong."""
        schema = self.schemas.get(event_type)
        if schema is not None:
            data = self._validated(schema, data, event_id)
        elif isinstance(data, BaseModel):
            data = data.model_dump(mode="json")
        fields: dict[str, Any] = {"type": event_type, "data": {} if data is None else data}
        if tenant is not None:
            fields["tenant"] = tenant
        if event_id is not None:
            fields["id"] = event_id
        if occurred_at is not None:
            fields["occurred_at"] = occurred_at
        if config_id is not None:
            fields["config_id"] = config_id
        try:
            event = Event.model_validate(fields)
            # Addressed to no configuration (nearly all): the key left out.
            encoded = event.model_dump_json(exclude=None if config_id else {"config_id"})
        except ValidationError as exc:
            raise InvalidEventError(event_id, _describe(exc)) from None
        except ValueError as exc:  # pydantic's serialisation error: data JSON cannot hold
            raise InvalidEventError(event_id, f"data is not JSON-serialisable: {exc}") from None
        size = oversize(encoded, self._max_bytes)
        if size:
            raise InvalidEventError(
                event.id,
                f"it is {size} bytes as JSON, over the limit of {self._max_bytes} "
                "(SWITCHBOARD_MAX_EVENT_BYTES)",
            )
        return event.id, encoded

    def encode_many(
        self, events: Iterable[Event | Mapping[str, Any]]
    ) -> tuple[list[str], list[str]]:
        """``(ids, JSON texts)`` of a batch; the first invalid event stops it, naming its index.

        Each item is an ``Event`` or a mapping with the keys of one (``type``,
        and optionally ``data``, ``tenant``, ``id``, ``occurred_at``).
        """
        ids: list[str] = []
        encoded: list[str] = []
        for index, item in enumerate(events):
            try:
                if isinstance(item, Event):
                    fields: Mapping[str, Any] = {
                        "type": item.type,
                        "data": item.data,
                        "tenant": item.tenant,
                        "id": item.id,
                        "occurred_at": item.occurred_at,
                        "config_id": item.config_id,
                    }
                else:
                    fields = item
                    unknown = set(fields) - _BATCH_ITEM_KEYS
                    if unknown:
                        raise InvalidEventError(fields.get("id"), f"unknown keys {sorted(unknown)}")
                event_id, text = self.encode(
                    fields.get("type"),  # type: ignore[arg-type]  # validated by encode()
                    fields.get("data"),
                    tenant=fields.get("tenant"),
                    event_id=fields.get("id"),
                    occurred_at=fields.get("occurred_at"),
                    config_id=fields.get("config_id"),
                )
            except InvalidEventError as exc:
                raise InvalidEventError(
                    exc.event_id, f"(event {index + 1} of the batch) {exc.reason}"
                ) from None
            ids.append(event_id)
            encoded.append(text)
        return ids, encoded

    def jobs(self, encoded: Sequence[str]) -> list[QueuedJob]:
        step = self._per_job
        return [QueuedJob(encoded[i : i + step]) for i in range(0, len(encoded), step)]

    def queue(self, pipe: QueuePipeline, jobs: Sequence[QueuedJob]) -> None:
        """Buffer the writes that put ``jobs`` on the queue into ``pipe``."""
        for job in jobs:
            pipe.psetex(job.key, self.ttl_ms, job.payload)
            pipe.zadd(self.queue_name, {job.id: job.enqueued_ms})
        # /metrics' events received, in the same MULTI (no round trip of its own).
        pipe.hincrby(self.metrics_key, EVENTS_EMITTED, sum(job.events for job in jobs))

    def _validated(
        self,
        schema: type[BaseModel],
        data: Mapping[str, Any] | BaseModel | None,
        event_id: str | None,
    ) -> dict[str, Any]:
        try:
            model = data if isinstance(data, schema) else schema.model_validate(data or {})
        except ValidationError as exc:
            raise InvalidEventError(
                event_id, f"data does not match {schema.__name__}: {_describe(exc)}"
            ) from None
        return model.model_dump(mode="json")


def oversize(text: str, limit: int) -> int:
    """The UTF-8 size of ``text`` if it is over ``limit`` bytes, else 0.

    Encodes only when the length in characters cannot decide (the hot path's
    events are far below the limit, and a character is 1 to 4 bytes).
    """
    if len(text) * 4 <= limit:
        return 0
    size = len(text.encode())
    return size if size > limit else 0


def _describe(exc: ValidationError) -> str:
    return errors_text(field_errors(exc, reason=_reason, whole="event"))


def _reason(error: ErrorDetails) -> str:
    if error["loc"] == ("type",) and error["type"] == "string_pattern_mismatch":
        return (
            f"{error['input']!r} is not an event type: use lowercase dot-separated "
            "segments of a-z, 0-9 and _, like 'review.published'"
        )
    return plain_reason(error)


class JobDecoder:
    """arq's deserializer: JSON only, and never raises.

    A payload that is not a Switchboard job (not JSON, a pickle, another
    app's job, an unknown function) comes back as a ``switchboard.reject``
    job carrying the reason and the payload's first bytes.
    """

    def __init__(self, settings: Settings) -> None:
        # The largest job a producer can make, with room for the envelope.
        self._max_bytes = settings.max_event_bytes * settings.events_per_job + 64 * 1024

    def __call__(self, payload: bytes) -> dict[str, Any]:
        if len(payload) > self._max_bytes:
            return _reject_job(
                f"the job is {len(payload)} bytes, over the limit of {self._max_bytes}", payload
            )
        try:
            job = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return _reject_job("the payload is not JSON (a pickle?); it was not run", payload)
        if not _is_job(job):
            return _reject_job("the payload is JSON but not a Switchboard job", payload)
        return job  # type: ignore[no-any-return]


def _is_job(job: Any) -> bool:
    if not (
        isinstance(job, dict)
        and job.get("k") == {}
        and isinstance(job.get("t"), int)
        and isinstance(job.get("et"), int)
        and isinstance(args := job.get("a"), list)
    ):
        return False
    if job.get("f") == DISPATCH_JOB:
        return len(args) == 1 and isinstance(args[0], list)
    if job.get("f") == REJECT_JOB:
        return len(args) == 2 and all(isinstance(arg, str) for arg in args)
    return False


def _reject_job(reason: str, payload: bytes) -> dict[str, Any]:
    preview = payload[:_PREVIEW_BYTES].decode("utf-8", "backslashreplace")
    return {"f": REJECT_JOB, "a": [reason, preview], "k": {}, "t": 1, "et": _now_ms()}


def _now_ms() -> int:
    return int(time.time() * 1000)
