"""Producers against a real Redis: ``EventClient``, ``SyncEventClient``, ``switchboard emit``.

Every test reads back what landed in Redis with a plain client: the arq job
(``arq:job:<id>``, JSON, with its TTL) and its entry in the queue's sorted
set. Tests of the Python API run once per client (async and sync) through
``Producer``, one awaitable face over both. Round trips are counted with the
server's own ``INFO commandstats``. No mocks, no sleeps.
"""

from __future__ import annotations

import asyncio
import re
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import pytest
import redis
from arq.constants import job_key_prefix as arq_job_key_prefix
from arq.jobs import Job, JobStatus
from click.testing import CliRunner, Result
from pydantic import BaseModel

from switchboard.config import (
    RedisKeys,
    RedisUnavailableError,
    Settings,
    SwitchboardError,
    open_redis,
)
from switchboard.config.keys import ARQ_JOB_KEY_PREFIX
from switchboard.integrations import Event
from switchboard.worker import InvalidEventError
from switchboard.worker.cli import cli
from switchboard.worker.producer import EventClient, SyncEventClient
from switchboard.worker.queue import JobDecoder
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog

#: Port 1 on loopback: nothing listens there, so the connection is refused.
DOWN_URL = "redis://:hunter2@127.0.0.1:1/0"
GENERATED_ID = re.compile(r"^evt_[a-z2-7]{16}$")
#: How far below ``queue_retention`` a fresh job's TTL may be (a slow machine).
TTL_SLACK_MS = 60_000


# -- reading the queue back ------------------------------------------------------


@dataclass(frozen=True)
class StoredJob:
    """One job as Redis holds it: its ``arq:job:`` value and TTL, its queue score."""

    id: str
    payload: bytes
    pttl: int
    score: float

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.payload)
        return body

    @property
    def events(self) -> list[Event]:
        [texts] = self.body["a"]
        assert all(isinstance(text, str) for text in texts), texts
        return [Event.model_validate_json(text) for text in texts]


def stored_jobs(raw: redis.Redis, settings: Settings) -> list[StoredJob]:
    """Every queued job; fails unless the queue and the ``arq:job:`` keys match one to one."""
    jobs = []
    queue = cast(
        "list[tuple[bytes, float]]",
        raw.zrange(settings.effective_queue_name, 0, -1, withscores=True),
    )
    for member, score in queue:
        job_id = member.decode()
        payload = raw.get("arq:job:" + job_id)
        assert isinstance(payload, bytes), f"{job_id} is queued but has no arq:job: key"
        pttl = cast("int", raw.pttl("arq:job:" + job_id))
        jobs.append(StoredJob(job_id, payload, pttl, score))
    job_keys = {key.decode() for key in raw.scan_iter(match="arq:job:*")}
    assert job_keys == {"arq:job:" + job.id for job in jobs}, "a job key is not in the queue"
    return jobs


def check_job(job: StoredJob, settings: Settings) -> list[Event]:
    """Assert ``job`` is a JSON arq dispatch job with the right TTL and score; its events."""
    assert job.payload[:1] == b"{", job.payload[:20]  # JSON; a pickle starts with b"\x80"
    body = job.body
    assert set(body) == {"f", "a", "k", "t", "et"}, body
    assert body["f"] == "switchboard.dispatch"
    assert body["k"] == {}
    assert body["t"] == 1
    assert isinstance(body["et"], int)
    assert abs(body["et"] - time.time() * 1000) < TTL_SLACK_MS
    assert job.score == body["et"]  # due now: the score is the enqueue time
    assert isinstance(body["a"], list)
    assert len(body["a"]) == 1
    assert isinstance(body["a"][0], list)
    retention_ms = int(settings.queue_retention * 1000)
    assert retention_ms - TTL_SLACK_MS < job.pttl <= retention_ms, job.pttl
    return job.events


def the_only_event(raw: redis.Redis, settings: Settings) -> Event:
    """The one event of the one queued job."""
    [job] = stored_jobs(raw, settings)
    [event] = check_job(job, settings)
    return event


def command_calls(raw: redis.Redis) -> dict[str, int]:
    """How many times the server has run each command (``INFO commandstats``)."""
    stats = cast("dict[str, dict[str, Any]]", raw.info("commandstats"))
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}


def calls_since(raw: redis.Redis, before: Mapping[str, int], *names: str) -> dict[str, int]:
    after = command_calls(raw)
    return {name: after.get(name, 0) - before.get(name, 0) for name in names}


# -- one face over both clients ---------------------------------------------------------


class Producer:
    """``EventClient`` or ``SyncEventClient`` behind one awaitable interface."""

    def __init__(
        self,
        kind: str,
        settings: Settings,
        schemas: Mapping[str, type[BaseModel]] | None = None,
    ) -> None:
        self.client: EventClient | SyncEventClient = (
            EventClient(settings, schemas=schemas)
            if kind == "async"
            else SyncEventClient(settings, schemas=schemas)
        )

    async def emit(self, event_type: str, data: Any = None, **kwargs: Any) -> str:
        if isinstance(self.client, EventClient):
            return await self.client.emit(event_type, data, **kwargs)
        return self.client.emit(event_type, data, **kwargs)

    async def emit_many(self, events: Any) -> list[str]:
        if isinstance(self.client, EventClient):
            return await self.client.emit_many(events)
        return self.client.emit_many(events)

    def register_schema(self, event_type: str, model: type[BaseModel]) -> None:
        self.client.register_schema(event_type, model)

    async def close(self) -> None:
        if isinstance(self.client, EventClient):
            await self.client.aclose()
        else:
            self.client.close()


MakeProducer = Callable[..., Producer]


@pytest.fixture(params=["async", "sync"])
def client_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def make_producer(client_kind: str) -> AsyncIterator[MakeProducer]:
    """Makes producers of the test's kind; closes them all at the end."""
    made: list[Producer] = []

    def make(
        settings: Settings, *, schemas: Mapping[str, type[BaseModel]] | None = None
    ) -> Producer:
        producer = Producer(client_kind, settings, schemas)
        made.append(producer)
        return producer

    yield make
    for producer in made:
        await producer.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


def settings_with(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with ``overrides``, validated like the environment would be."""
    return Settings(**{**settings.model_dump(), **overrides})


# -- emit ----------------------------------------------------------------------


async def test_emit_returns_a_generated_id_and_queues_one_json_arq_job(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """``emit`` queues exactly one arq job (JSON, TTL, queue entry) holding the event."""
    event_id = await make_producer(settings).emit("review.published", {"review_id": 42})

    assert GENERATED_ID.match(event_id), event_id
    [job] = stored_jobs(raw, settings)
    metrics = RedisKeys(settings.key_prefix).metrics
    assert set(cast("list[bytes]", raw.keys("*"))) == {
        f"arq:job:{job.id}".encode(),
        settings.effective_queue_name.encode(),
        metrics.encode(),
    }
    assert raw.hget(metrics, "events_emitted") == b"1"  # in the same MULTI
    [event] = check_job(job, settings)
    assert event.id == event_id
    assert event.type == "review.published"
    assert event.tenant is None
    assert event.data == {"review_id": 42}
    assert abs(event.occurred_at.timestamp() - time.time()) < 60


async def test_emit_honours_the_given_id_and_tenant(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """``event_id`` is returned and travels as the event's id; ``tenant`` travels too."""
    returned = await make_producer(settings).emit(
        "ci.build.failed", {"build": "#7"}, tenant="acme", event_id="build-7-failed"
    )

    assert returned == "build-7-failed"
    event = the_only_event(raw, settings)
    assert (event.id, event.type, event.tenant, event.data) == (
        "build-7-failed",
        "ci.build.failed",
        "acme",
        {"build": "#7"},
    )


async def test_emit_with_no_data_sends_an_empty_object(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """``data`` left out is ``{}``, not ``null``."""
    await make_producer(settings).emit("user.signed_up")

    assert the_only_event(raw, settings).data == {}


async def test_job_ttl_and_queue_follow_the_settings(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """The job key expires after ``queue_retention``; the job goes on ``queue_name``."""
    custom = settings_with(settings, queue_retention=90, queue_name="sbtest:custom-queue")

    await make_producer(custom).emit("review.published")

    assert raw.zcard("sbtest:queue") == 0
    [job] = stored_jobs(raw, custom)
    check_job(job, custom)
    assert 80_000 < job.pttl <= 90_000


def test_the_job_key_prefix_is_arqs_own() -> None:
    """A worker (arq) looks for jobs under the prefix the producers write them to."""
    assert ARQ_JOB_KEY_PREFIX == arq_job_key_prefix == "arq:job:"


async def test_arq_reads_the_job_as_queued_with_the_json_decoder(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """arq itself, with Switchboard's decoder, sees a queued ``switchboard.dispatch`` job."""
    event_id = await make_producer(settings).emit("review.published", {"review_id": 1})
    [stored] = stored_jobs(raw, settings)

    async with open_redis(settings) as client:
        job = Job(stored.id, client, settings.effective_queue_name, JobDecoder(settings))
        assert await job.status() == JobStatus.queued
        info = await job.info()

    assert info is not None
    assert info.function == "switchboard.dispatch"
    assert info.kwargs == {}
    assert info.score == int(stored.score)
    [[text]] = info.args
    assert Event.model_validate_json(text).id == event_id


async def test_emit_is_one_transaction(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """One ``emit``: one MULTI/EXEC holding the job's PSETEX and ZADD."""
    producer = make_producer(settings)
    before = command_calls(raw)

    await producer.emit("review.published")

    assert calls_since(raw, before, "multi", "exec", "psetex", "zadd") == {
        "multi": 1,
        "exec": 1,
        "psetex": 1,
        "zadd": 1,
    }


async def test_emits_made_together_share_one_job_in_order(
    settings: Settings, raw: redis.Redis
) -> None:
    """Concurrent ``emit()`` calls (a busy web app's requests) travel in one job, one
    MULTI/EXEC, each returning its own id once the job is in Redis."""
    async with EventClient(settings) as client:
        before = command_calls(raw)
        ids = await asyncio.gather(
            *(client.emit("review.published", {"n": n}, event_id=f"e{n}") for n in range(5))
        )
        writes = calls_since(raw, before, "multi", "psetex")

    assert ids == [f"e{n}" for n in range(5)]
    assert writes == {"multi": 1, "psetex": 1}
    [job] = stored_jobs(raw, settings)
    assert [event.id for event in check_job(job, settings)] == ids


async def test_under_load_emits_wait_the_linger_to_share_a_job(
    settings: Settings, raw: redis.Redis
) -> None:
    """The first emit after a quiet spell goes at once, alone; emits within ``emit_linger``
    of that write wait and share the next job."""
    async with EventClient(settings_with(settings, emit_linger=0.5)) as client:
        await client.emit("review.published", event_id="first")
        assert len(stored_jobs(raw, settings)) == 1  # written at once, not after the linger
        second = asyncio.create_task(client.emit("review.published", event_id="second"))
        await asyncio.sleep(0)  # a turn of the loop between the two, not a wait
        third = asyncio.create_task(client.emit("review.published", event_id="third"))
        await asyncio.gather(second, third)

    jobs = stored_jobs(raw, settings)
    grouped = sorted([event.id for event in check_job(job, settings)] for job in jobs)
    assert grouped == [["first"], ["second", "third"]]


async def test_emits_sharing_a_write_all_see_redis_unreachable(settings: Settings) -> None:
    async with EventClient(settings_with(settings, redis_url=DOWN_URL)) as client:
        outcomes = await asyncio.gather(
            *(client.emit("review.published") for _ in range(3)), return_exceptions=True
        )
    assert len(outcomes) == 3
    for outcome in outcomes:
        assert isinstance(outcome, RedisUnavailableError)
        check_unreachable(outcome)


# -- emit_many -----------------------------------------------------------------------


def seven_events() -> list[Event | dict[str, Any]]:
    """A batch mixing ``Event`` objects and mappings, with ids to follow the order."""
    items: list[Event | dict[str, Any]] = []
    for n in range(7):
        if n % 2:
            items.append(Event(id=f"e{n}", type="review.published", data={"n": n}))
        else:
            items.append(
                {"type": "review.published", "data": {"n": n}, "tenant": f"t{n}", "id": f"e{n}"}
            )
    return items


async def test_emit_many_packs_events_per_job_in_order(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """7 events, ``events_per_job=3``: jobs of 3, 3 and 1 events, the batch's order kept."""
    settings = settings_with(settings, events_per_job=3)

    ids = await make_producer(settings).emit_many(seven_events())

    assert ids == [f"e{n}" for n in range(7)]
    jobs = stored_jobs(raw, settings)
    per_job = [check_job(job, settings) for job in jobs]
    # The queue's own order (score, then job id) is the batch's order.
    assert [[event.id for event in events] for events in per_job] == [
        ["e0", "e1", "e2"],
        ["e3", "e4", "e5"],
        ["e6"],
    ]
    events = [event for events in per_job for event in events]
    assert [event.data for event in events] == [{"n": n} for n in range(7)]
    assert [event.tenant for event in events] == ["t0", None, "t2", None, "t4", None, "t6"]
    assert {event.type for event in events} == {"review.published"}


async def test_emit_many_is_one_round_trip(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """Three jobs' writes go in one MULTI/EXEC, not one transaction (or none) per job."""
    producer = make_producer(settings_with(settings, events_per_job=3))
    before = command_calls(raw)

    await producer.emit_many(seven_events())

    assert calls_since(raw, before, "multi", "exec", "psetex", "zadd") == {
        "multi": 1,
        "exec": 1,
        "psetex": 3,
        "zadd": 3,
    }


async def test_emit_many_generates_missing_ids_and_takes_any_iterable(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """A generator of mappings with only ``type``: ids generated, returned in order."""
    items = ({"type": f"step.s{n}"} for n in range(3))

    ids = await make_producer(settings).emit_many(items)

    assert len(ids) == 3
    assert all(GENERATED_ID.match(event_id) for event_id in ids), ids
    [job] = stored_jobs(raw, settings)
    events = check_job(job, settings)
    assert [(event.id, event.type, event.data) for event in events] == [
        (ids[0], "step.s0", {}),
        (ids[1], "step.s1", {}),
        (ids[2], "step.s2", {}),
    ]


async def test_an_event_object_keeps_its_occurred_at(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """An ``Event`` built earlier travels with the time it says it occurred at."""
    occurred = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    await make_producer(settings).emit_many(
        [Event(id="old-1", type="review.published", occurred_at=occurred)]
    )

    assert the_only_event(raw, settings).occurred_at == occurred


async def test_emit_many_of_nothing_writes_nothing(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """An empty batch returns no ids and sends no transaction."""
    producer = make_producer(settings)
    before = command_calls(raw)

    assert await producer.emit_many([]) == []

    assert calls_since(raw, before, "multi", "psetex") == {"multi": 0, "psetex": 0}
    assert raw.dbsize() == 0


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        pytest.param({"type": "Review.Published", "id": "bad"}, "type", id="bad-type"),
        pytest.param({"data": {"n": 4}, "id": "bad"}, "type", id="no-type"),
        pytest.param({"type": "a.b", "tenant": "", "id": "bad"}, "tenant", id="empty-tenant"),
        pytest.param(
            {"type": "a.b", "data": {"x": object()}, "id": "bad"},
            "not JSON-serialisable",
            id="unserialisable",
        ),
    ],
)
async def test_an_invalid_event_in_a_batch_writes_nothing_and_names_its_index(
    make_producer: MakeProducer,
    settings: Settings,
    raw: redis.Redis,
    bad: dict[str, Any],
    says: str,
) -> None:
    """The fifth event (in the second job) is bad: not even the first job is written."""
    items = seven_events()
    items[4] = bad
    producer = make_producer(settings_with(settings, events_per_job=3))

    with pytest.raises(InvalidEventError) as caught:
        await producer.emit_many(items)

    assert "event 5 of the batch" in str(caught.value)  # counted from 1, as people count
    assert says in str(caught.value)
    assert caught.value.event_id == "bad"
    assert raw.dbsize() == 0


# -- schemas ---------------------------------------------------------------------


class ReviewPublished(BaseModel):
    review_id: int
    published_at: datetime
    title: str = ""


PUBLISHED_AT = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
NORMALISED = {"review_id": 42, "published_at": "2024-05-01T12:30:00Z", "title": ""}


async def test_a_schema_given_at_construction_normalises_data_to_json(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """Data is validated: "42" becomes 42, a datetime an ISO string, defaults filled in."""
    producer = make_producer(settings, schemas={"review.published": ReviewPublished})

    await producer.emit("review.published", {"review_id": "42", "published_at": PUBLISHED_AT})

    assert the_only_event(raw, settings).data == NORMALISED


async def test_a_schema_accepts_an_instance_of_its_model(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """A model instance as data is dumped to JSON."""
    producer = make_producer(settings, schemas={"review.published": ReviewPublished})

    await producer.emit(
        "review.published", ReviewPublished(review_id=42, published_at=PUBLISHED_AT)
    )

    assert the_only_event(raw, settings).data == NORMALISED


async def test_register_schema_validates_from_then_on(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """Before ``register_schema`` any data goes; after, bad data is refused, good normalised."""
    producer = make_producer(settings)
    await producer.emit("review.published", {"review_id": "not a number"})
    raw.flushdb()

    producer.register_schema("review.published", ReviewPublished)

    with pytest.raises(InvalidEventError, match="review_id"):
        await producer.emit("review.published", {"review_id": "not a number"})
    assert raw.dbsize() == 0
    await producer.emit("review.published", {"review_id": 42, "published_at": PUBLISHED_AT})
    assert the_only_event(raw, settings).data == NORMALISED


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        pytest.param(
            {"review_id": "forty-two", "published_at": PUBLISHED_AT},
            "review_id",
            "valid integer",
            id="wrong-type",
        ),
        pytest.param({"review_id": 42}, "published_at", "this field is required", id="missing"),
    ],
)
async def test_data_not_matching_its_schema_is_refused_naming_the_field(
    make_producer: MakeProducer,
    settings: Settings,
    raw: redis.Redis,
    data: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    """The message names the model, the field and the reason; nothing is written."""
    producer = make_producer(settings, schemas={"review.published": ReviewPublished})

    with pytest.raises(InvalidEventError) as caught:
        await producer.emit("review.published", data, event_id="r-1")

    message = str(caught.value)
    assert "ReviewPublished" in message
    assert f"{field}: " in message
    assert reason in message
    assert caught.value.event_id == "r-1"
    assert raw.dbsize() == 0


async def test_schemas_apply_in_a_batch_too(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """``emit_many`` validates each event against its type's schema."""
    producer = make_producer(settings, schemas={"review.published": ReviewPublished})

    with pytest.raises(InvalidEventError, match=r"event 2 of the batch.*published_at"):
        await producer.emit_many(
            [
                {"type": "review.published", "data": {"review_id": 1, "published_at": 0}},
                {"type": "review.published", "data": {"review_id": 2}},
            ]
        )
    assert raw.dbsize() == 0


async def test_other_event_types_are_not_validated(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """A schema for one type does not touch another type's data."""
    producer = make_producer(settings, schemas={"review.published": ReviewPublished})

    await producer.emit("review.deleted", {"review_id": "not a number"})

    assert the_only_event(raw, settings).data == {"review_id": "not a number"}


async def test_a_model_as_data_without_a_schema_is_dumped_to_json(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """With no schema registered, a model instance is still accepted and dumped to JSON."""
    await make_producer(settings).emit(
        "review.published", ReviewPublished(review_id=42, published_at=PUBLISHED_AT)
    )

    assert the_only_event(raw, settings).data == NORMALISED


# -- rejected at the producer ---------------------------------------------------------


@pytest.mark.parametrize("event_type", ["Review.Published", "a..b", "", "review.", ".review"])
async def test_a_bad_event_type_is_refused(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis, event_type: str
) -> None:
    """Event types are lowercase dot-separated words; anything else is refused."""
    with pytest.raises(InvalidEventError, match="type: ") as caught:
        await make_producer(settings).emit(event_type, {"review_id": 1})
    assert raw.dbsize() == 0
    if event_type:  # the empty type fails on length first
        assert f"{event_type!r} is not an event type" in str(caught.value)
        assert "pattern" not in str(caught.value)  # plain words, not the regex


async def test_data_json_cannot_hold_is_refused(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """An arbitrary object in the data is refused at emit, not left to fail in a worker."""
    with pytest.raises(InvalidEventError, match="not JSON-serialisable"):
        await make_producer(settings).emit("review.published", {"review": object()})
    assert raw.dbsize() == 0


async def test_a_set_in_the_data_travels_as_a_json_array(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """JSON has no sets; as pydantic does, the producer sends one as an array (documented)."""
    await make_producer(settings).emit("review.published", {"tags": {"a", "b"}})
    assert sorted(the_only_event(raw, settings).data["tags"]) == ["a", "b"]


async def test_a_batch_item_with_an_unknown_key_is_refused(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """A typo (``tenent``) is an error, not an event quietly without a tenant."""
    with pytest.raises(InvalidEventError, match=r"event 2 of the batch.*unknown keys \['tenent'\]"):
        await make_producer(settings).emit_many(
            [{"type": "a.b"}, {"type": "a.b", "tenent": "acme"}]
        )
    assert raw.dbsize() == 0


@pytest.mark.parametrize(
    "text",
    [pytest.param("x" * 2048, id="2KiB-ascii"), pytest.param("é" * 600, id="1200-bytes-600-chars")],
)
async def test_an_event_over_max_event_bytes_is_refused_with_size_and_limit(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis, text: str
) -> None:
    """The limit counts bytes of the event's JSON (not characters); the message says both."""
    producer = make_producer(settings_with(settings, max_event_bytes=1024))
    await producer.emit("review.published", {"text": "small"})  # under the limit: fine
    raw.flushdb()

    with pytest.raises(InvalidEventError) as caught:
        await producer.emit("review.published", {"text": text}, event_id="big-one")

    message = str(caught.value)
    found = re.search(r"it is (\d+) bytes as JSON, over the limit of 1024\b", message)
    assert found, message
    assert int(found.group(1)) > len(text.encode()) > 1024
    assert caught.value.event_id == "big-one"
    assert raw.dbsize() == 0


async def test_an_empty_tenant_is_refused(
    make_producer: MakeProducer, settings: Settings, raw: redis.Redis
) -> None:
    """``tenant=""`` is an error, not "no tenant"."""
    with pytest.raises(InvalidEventError, match="tenant: "):
        await make_producer(settings).emit("review.published", {}, tenant="")
    assert raw.dbsize() == 0


async def test_events_are_checked_before_redis_is_touched(
    make_producer: MakeProducer, settings: Settings
) -> None:
    """With Redis down, an invalid event is still an ``InvalidEventError``: no I/O first."""
    producer = make_producer(settings_with(settings, redis_url=DOWN_URL))

    with pytest.raises(InvalidEventError):
        await producer.emit("Bad.Type")
    with pytest.raises(InvalidEventError):
        await producer.emit_many([{"type": "ok"}, {"type": "Bad.Type"}])


# -- Redis unreachable -----------------------------------------------------------------


def check_unreachable(error: RedisUnavailableError) -> None:
    assert isinstance(error, SwitchboardError)
    message = str(error)
    assert "127.0.0.1:1" in message
    assert "connection refused" in message
    assert error.url == "redis://:***@127.0.0.1:1/0"
    # Not in the message, and not anywhere in the traceback a caller would log.
    assert "hunter2" not in "".join(traceback.format_exception(error))


async def test_unreachable_redis_is_a_redis_unavailable_error_without_the_password(
    make_producer: MakeProducer, settings: Settings
) -> None:
    """``emit`` and ``emit_many`` both say where Redis was expected, password redacted."""
    producer = make_producer(settings_with(settings, redis_url=DOWN_URL))

    with pytest.raises(RedisUnavailableError) as caught:
        await producer.emit("review.published", {"review_id": 1})
    check_unreachable(caught.value)

    with pytest.raises(RedisUnavailableError) as caught:
        await producer.emit_many([{"type": "review.published"}, {"type": "review.deleted"}])
    check_unreachable(caught.value)


# -- switchboard emit --------------------------------------------------------------


@pytest.fixture
def runner(redis_url: str, settings: Settings) -> CliRunner:
    return CliRunner(env={"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": settings.key_prefix})


def invoke(
    runner: CliRunner, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> Result:
    result = runner.invoke(cli, list(args), input=input, env=env)
    # The CLI ends by returning or through sys.exit, never with an uncaught exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: uncaught {result.exception!r}"
    )
    return result


def ok(runner: CliRunner, *args: str, input: str | None = None) -> str:
    result = invoke(runner, *args, input=input)
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return result.stdout


def refused(result: Result, code: int) -> str:
    """Assert the command failed with ``code`` and one ``error:`` line; that line."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "Traceback" not in result.output
    return line


def test_cli_emit_prints_the_generated_id(
    runner: CliRunner, settings: Settings, raw: redis.Redis
) -> None:
    """The printed id is the queued event's id; the data is the JSON argument."""
    printed = ok(runner, "emit", "review.published", '{"review_id": 42, "tags": ["a"]}')

    event_id = printed.strip()
    assert printed == event_id + "\n"
    assert GENERATED_ID.match(event_id), printed
    event = the_only_event(raw, settings)
    assert (event.id, event.type, event.tenant, event.data) == (
        event_id,
        "review.published",
        None,
        {"review_id": 42, "tags": ["a"]},
    )


def test_cli_emit_honours_id_and_tenant(
    runner: CliRunner, settings: Settings, raw: redis.Redis
) -> None:
    """``--id`` is printed and used; ``--tenant`` travels with the event."""
    printed = ok(runner, "emit", "review.published", "--id", "rev-9", "--tenant", "acme")

    assert printed == "rev-9\n"
    event = the_only_event(raw, settings)
    assert (event.id, event.tenant, event.data) == ("rev-9", "acme", {})


def test_cli_emit_reads_the_data_from_stdin(
    runner: CliRunner, settings: Settings, raw: redis.Redis
) -> None:
    """``-`` reads the JSON object from standard input."""
    ok(runner, "emit", "review.published", "-", input='{"from": "stdin", "n": [1, 2]}\n')

    assert the_only_event(raw, settings).data == {"from": "stdin", "n": [1, 2]}


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        pytest.param(["{not json"], None, "the event data is not valid JSON", id="bad-json"),
        pytest.param(["-"], "", "the event data is not valid JSON", id="empty-stdin"),
        pytest.param(["[1, 2]"], None, "must be a JSON object", id="array"),
        pytest.param(["-"], '"text"', "must be a JSON object", id="string-on-stdin"),
    ],
)
def test_cli_emit_refuses_data_that_is_not_a_json_object(
    runner: CliRunner, raw: redis.Redis, args: list[str], stdin: str | None, says: str
) -> None:
    """Exit 2 with a one-line reason; nothing is queued."""
    line = refused(invoke(runner, "emit", "review.published", *args, input=stdin), 2)

    assert says in line
    assert raw.dbsize() == 0


def test_cli_emit_refuses_an_invalid_event_type(runner: CliRunner, raw: redis.Redis) -> None:
    """A bad type exits 2 naming the field; nothing is queued."""
    line = refused(invoke(runner, "emit", "Review.Published", "{}"), 2)

    assert "rejected" in line
    assert "type: " in line
    assert raw.dbsize() == 0


def test_cli_emit_refuses_an_over_long_id_without_echoing_it(
    runner: CliRunner, raw: redis.Redis
) -> None:
    """The id is quoted cut short, with its length; nothing is queued."""
    line = refused(invoke(runner, "emit", "review.published", "{}", "--id", "i" * 5000), 2)

    assert "(5000 characters)" in line
    assert "i" * 100 not in line
    assert "id: " in line
    assert raw.dbsize() == 0


def test_an_id_in_a_message_has_its_control_characters_escaped() -> None:
    """An id cannot write a terminal escape sequence or a fake log line."""
    error = InvalidEventError("evil\x1b[2J\nINFO fake", "bad")
    assert "\x1b" not in str(error)
    assert "\n" not in str(error)
    assert "evil\\x1b[2J\\nINFO fake" in str(error)
    assert error.event_id == "evil\x1b[2J\nINFO fake"


def test_cli_emit_refuses_an_event_over_the_size_limit(runner: CliRunner, raw: redis.Redis) -> None:
    """``SWITCHBOARD_MAX_EVENT_BYTES`` applies to ``emit``: exit 2 with the limit."""
    data = orjson.dumps({"text": "x" * 2048}).decode()
    result = invoke(
        runner, "emit", "review.published", data, env={"SWITCHBOARD_MAX_EVENT_BYTES": "1024"}
    )

    line = refused(result, 2)
    assert "over the limit of 1024" in line
    assert raw.dbsize() == 0


def test_cli_emit_with_redis_unreachable_is_one_line_without_the_password(
    runner: CliRunner,
) -> None:
    """Exit 1; the line names the URL with the password redacted."""
    result = invoke(runner, "emit", "review.published", "{}", env={"REDIS_URL": DOWN_URL})

    line = refused(result, 1)
    assert "unreachable" in line
    assert "127.0.0.1:1" in line
    assert "hunter2" not in result.output


# -- switchboard rejected list ------------------------------------------------------------


def record_rejected(settings: Settings, *batches: Sequence[RejectedEvent]) -> None:
    """Write ``batches`` through ``RejectedEventLog.record``, one call each, in order."""

    async def main() -> None:
        async with open_redis(settings) as client:
            log = RejectedEventLog(client, RedisKeys(settings.key_prefix))
            for batch in batches:
                await log.record(batch)

    asyncio.run(main())


OLDEST = RejectedEvent(
    reason="the payload is not JSON (a pickle?); it was not run",
    job_id="job-1",
    preview="\\x80\\x04",
    rejected_at=datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC),
)
MIDDLE = RejectedEvent(
    reason="type: String should match pattern",
    event_id="evt-2",
    job_id="job-2",
    rejected_at=datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),
)
NEWEST = RejectedEvent(
    reason="it is 300000 bytes as JSON, over the limit of 262144",
    event_id="evt-3",
    rejected_at=datetime(2024, 5, 1, 11, 0, 0, tzinfo=UTC),
)


def test_cli_rejected_list_says_when_there_are_none(runner: CliRunner) -> None:
    """An empty log: a sentence, or ``[]`` with ``--json``."""
    assert ok(runner, "rejected", "list") == "No rejected events.\n"
    assert orjson.loads(ok(runner, "rejected", "list", "--json")) == []


def test_cli_rejected_list_shows_entries_newest_first(
    runner: CliRunner, settings: Settings
) -> None:
    """A table, newest first, ``-`` for a missing id."""
    record_rejected(settings, [OLDEST, MIDDLE], [NEWEST])

    lines = ok(runner, "rejected", "list").splitlines()

    assert lines[0].split() == ["REJECTED", "AT", "EVENT", "JOB", "REASON"]
    assert len(lines) == 4
    expected = [
        ("2024-05-01T11:00:00+00:00", "evt-3", "-", NEWEST.reason),
        ("2024-05-01T10:00:00+00:00", "evt-2", "job-2", MIDDLE.reason),
        ("2024-05-01T09:00:00+00:00", "-", "job-1", OLDEST.reason),
    ]
    for line, (at, event_id, job_id, reason) in zip(lines[1:], expected, strict=True):
        assert line.split(maxsplit=3) == [at, event_id, job_id, reason]


def test_cli_rejected_list_json_is_every_field_newest_first(
    runner: CliRunner, settings: Settings
) -> None:
    """``--json``: the entries as recorded, newest first."""
    record_rejected(settings, [OLDEST, MIDDLE], [NEWEST])

    listed = orjson.loads(ok(runner, "rejected", "list", "--json"))

    assert listed == [entry.model_dump(mode="json") for entry in (NEWEST, MIDDLE, OLDEST)]


def test_cli_rejected_list_limit_says_how_many_more(runner: CliRunner, settings: Settings) -> None:
    """``--limit`` keeps the newest and says how many there are in all."""
    record_rejected(settings, [OLDEST, MIDDLE], [NEWEST])

    lines = ok(runner, "rejected", "list", "--limit", "1").splitlines()

    assert len(lines) == 3
    assert lines[1].startswith("2024-05-01T11:00:00+00:00")
    assert lines[2] == "(1 of 3; --limit shows more)"
