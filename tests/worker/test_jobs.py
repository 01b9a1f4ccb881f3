"""The worker with bad input: a WorkerRunner in this process, real Redis, a real HTTP sink.

Events emitted with ``EventClient`` reach webhook configurations (tenant and
enabled state respected); handlers that raise or hang stop nothing; and what
is planted in the queue by hand (a pickle, another app's job, malformed or
oversized events) is never run, lands in the rejected-events log, and does
not stop the worker. ``JobDecoder`` is also tested on its own.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
import redis
from support.workers import running_worker

from switchboard.config import (
    ARQ_JOB_KEY_PREFIX,
    ConfigStore,
    Redis,
    RedisKeys,
    Settings,
    SyncRedis,
)
from switchboard.integrations import ConfigAdmin, Event, Integration, IntegrationManager
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for
from switchboard.worker.dispatcher import Dispatcher
from switchboard.worker.jobs import SERVICES, EventDeduplicator, JobServices, dispatch_job
from switchboard.worker.producer import EventClient
from switchboard.worker.queue import DISPATCH_JOB, REJECT_JOB, JobDecoder, QueuedJob
from switchboard.worker.rejected import RejectedEvent, RejectedEventLog

WEBHOOK = "switchboard.webhook"
DISPATCHER_LOG = "switchboard.worker.dispatcher"
FIELDS = "switchboard_fields"


class RaisingIntegration(Integration):
    """Raises on every event."""

    integration_id = "tests.jobs.raising"

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        raise RuntimeError(f"broken handler (event {event.id})")


class HangingIntegration(Integration):
    """Never returns: only the handler timeout ends it."""

    integration_id = "tests.jobs.hanging"

    def initialize(self) -> None:
        self.subscribe("*", self.on_event)

    async def on_event(self, event: Event) -> None:
        await asyncio.Event().wait()


class CreatesMarker:
    """Unpickling this opens (so creates) ``path``: proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _admin(store: ConfigStore, *extra: type[Integration]) -> ConfigAdmin:
    """A ConfigAdmin of its own (not the worker's manager), to configure before a worker starts."""
    manager = IntegrationManager()
    classes: tuple[type[Integration], ...] = (WebhookIntegration, *extra)
    for integration_cls in classes:
        manager.register(integration_cls)
    return ConfigAdmin(manager, store)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    values: dict[str, Any] = getattr(record, FIELDS, {})
    return values


def _dispatched(caplog: pytest.LogCaptureFixture) -> set[str]:
    """Ids of the events the dispatcher has finished (every handler returned or timed out)."""
    return {
        _fields(r)["event_id"]
        for r in caplog.records
        if r.name == DISPATCHER_LOG and r.getMessage() == "event dispatched"
    }


async def _wait_dispatched(caplog: pytest.LogCaptureFixture, event_ids: Iterable[str]) -> None:
    wanted = set(event_ids)
    await wait_for(lambda: wanted <= _dispatched(caplog), what=f"dispatch of {sorted(wanted)}")


def _ids(sink: RecordingSink, path: str) -> list[str]:
    return sorted(r.json["id"] for r in sink.at(path))


async def _plant(redis: Redis, settings: Settings, job_id: str, payload: bytes) -> None:
    """Write a job by hand, as anyone with access to Redis could: due now."""
    await redis.set(ARQ_JOB_KEY_PREFIX + job_id, payload)
    await redis.zadd(settings.effective_queue_name, {job_id: int(time.time() * 1000)})


async def _wait_rejected(
    sync_redis: SyncRedis, keys: RedisKeys, log: RejectedEventLog, count: int
) -> list[RejectedEvent]:
    """Wait until the rejected-events log holds ``count`` entries; return them, newest first."""
    await wait_for(
        lambda: cast("int", sync_redis.llen(keys.rejected_events)) >= count,
        what=f"{count} rejected entries",
    )
    entries = await log.list()
    assert len(entries) == count
    return entries


async def _wait_queue_empty(sync_redis: SyncRedis, settings: Settings) -> None:
    await wait_for(
        lambda: sync_redis.zcard(settings.effective_queue_name) == 0, what="an empty queue"
    )


@pytest.fixture
def sync_redis(redis_url: str) -> Iterator[SyncRedis]:
    """A blocking client for wait_for's checks (one local round trip per poll)."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def rejected_log(redis_client: Redis, keys: RedisKeys) -> RejectedEventLog:
    return RejectedEventLog(redis_client, keys)


@pytest.fixture
def dispatch_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=DISPATCHER_LOG)  # every event's line
    return caplog


# -- events in, deliveries out -------------------------------------------------------


async def test_events_reach_enabled_configurations_of_their_tenant_only(
    settings: Settings, store: ConfigStore, dispatch_logs: pytest.LogCaptureFixture
) -> None:
    """No tenant -> the tenantless config; acme -> acme's; a disabled config gets nothing."""
    async with RecordingSink() as sink:
        admin = _admin(store)
        await admin.create(WEBHOOK, name="all", settings={"url": sink.url("/all")})
        await admin.create(WEBHOOK, name="acme", tenant="acme", settings={"url": sink.url("/acme")})
        await admin.create(WEBHOOK, name="off", settings={"url": sink.url("/off")}, enabled=False)
        await admin.create(
            WEBHOOK,
            name="acme off",
            tenant="acme",
            settings={"url": sink.url("/acme-off")},
            enabled=False,
        )

        async with running_worker(settings), EventClient(settings) as client:
            plain = [
                await client.emit("review.published", {"n": 1}),
                await client.emit("ci.build.failed", {"n": 2}),
            ]
            acme = [await client.emit("review.published", {"n": 3}, tenant="acme")]
            other = [await client.emit("review.published", {"n": 4}, tenant="other")]
            await _wait_dispatched(dispatch_logs, plain + acme + other)

        assert _ids(sink, "/all") == sorted(plain)
        assert _ids(sink, "/acme") == acme
        assert sink.at("/off") == []
        assert sink.at("/acme-off") == []
        assert len(sink.received) == 3
        [delivered_to_acme] = sink.at("/acme")
        assert delivered_to_acme.json["tenant"] == "acme"
        assert delivered_to_acme.json["data"] == {"n": 3}
    # An event delivered somewhere is told by its deliveries: its own line is DEBUG. The
    # one no configuration matched (tenant "other") says so at INFO, with deliveries=0.
    reports = {
        _fields(r)["event_id"]: (r.levelno, _fields(r)["handlers"], _fields(r)["deliveries"])
        for r in dispatch_logs.records
        if r.getMessage() == "event dispatched"
    }
    assert reports == {
        **dict.fromkeys(plain + acme, (logging.DEBUG, 1, 1)),
        other[0]: (logging.INFO, 1, 0),
    }


async def test_raising_and_hanging_handlers_stop_no_webhook_delivery(
    settings: Settings, store: ConfigStore, dispatch_logs: pytest.LogCaptureFixture
) -> None:
    """Both failures are logged with the integration and event ids; the webhook delivers all."""
    quick = settings.model_copy(update={"handler_timeout": 0.3})
    async with RecordingSink() as sink:
        admin = _admin(store, RaisingIntegration, HangingIntegration)
        await admin.create(WEBHOOK, name="hook", settings={"url": sink.url("/hook")})
        await admin.create(RaisingIntegration.integration_id, name="raising")
        await admin.create(HangingIntegration.integration_id, name="hanging")

        async with (
            running_worker(quick, [RaisingIntegration, HangingIntegration]),
            EventClient(quick) as client,
        ):
            ids = [
                await client.emit("review.published", {"n": 1}),
                await client.emit("ci.build.failed", {"n": 2}),
            ]
            await sink.wait_for_count(2, where=lambda r: r.path == "/hook")
            await _wait_dispatched(dispatch_logs, ids)

    assert _ids(sink, "/hook") == sorted(ids)
    records = [r for r in dispatch_logs.records if r.name == DISPATCHER_LOG]

    failed = [r for r in records if r.getMessage() == "handler failed"]
    assert sorted(_fields(r)["event_id"] for r in failed) == sorted(ids)
    for record in failed:
        assert record.levelno == logging.ERROR
        assert _fields(record)["integration"] == RaisingIntegration.integration_id
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)

    timed_out = [r for r in records if r.getMessage() == "handler timed out"]
    assert sorted(_fields(r)["event_id"] for r in timed_out) == sorted(ids)
    for record in timed_out:
        assert record.levelno == logging.ERROR
        assert _fields(record)["integration"] == HangingIntegration.integration_id
        assert _fields(record)["timeout_s"] == 0.3

    reports = [r for r in records if r.getMessage() == "event dispatched"]
    assert {(_fields(r)["handlers"], _fields(r)["failed"]) for r in reports} == {(3, 2)}
    assert {r.levelno for r in reports} == {logging.INFO}  # a failure: worth a line


# -- what is planted in the queue --------------------------------------------------


async def test_planted_pickle_is_never_unpickled_and_the_worker_goes_on(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    rejected_log: RejectedEventLog,
    sync_redis: SyncRedis,
    keys: RedisKeys,
    tmp_path: Path,
) -> None:
    """A pickle in ``arq:job:<id>``: not loaded, recorded as not JSON; later events still flow."""
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(CreatesMarker(marker))
    async with RecordingSink() as sink:
        await _admin(store).create(WEBHOOK, name="hook", settings={"url": sink.url("/hook")})
        await _plant(redis_client, settings, "planted-pickle", payload)

        async with running_worker(settings), EventClient(settings) as client:
            event_id = await client.emit("review.published", {"after": "the pickle"})
            await sink.wait_for_count(1)
            [entry] = await _wait_rejected(sync_redis, keys, rejected_log, 1)
            await _wait_queue_empty(sync_redis, settings)

        assert _ids(sink, "/hook") == [event_id]
    assert not marker.exists()
    assert entry.job_id == "planted-pickle"
    assert "not JSON" in entry.reason
    assert entry.event_id is None
    assert entry.preview == payload[:512].decode("utf-8", "backslashreplace")
    assert await redis_client.exists(ARQ_JOB_KEY_PREFIX + "planted-pickle") == 0


async def test_planted_foreign_job_and_bad_events_are_recorded_not_run(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    rejected_log: RejectedEventLog,
    sync_redis: SyncRedis,
    keys: RedisKeys,
    tmp_path: Path,
) -> None:
    """Another app's job is rejected; in a batch, only the valid event is delivered."""
    small = settings.model_copy(update={"max_event_bytes": 1024})
    marker = tmp_path / "ran"
    foreign = {"f": "os.system", "a": [f"touch {marker}"], "k": {}, "t": 1, "et": 0}
    valid = Event(id="evt_valid", type="review.published", data={"ok": True})
    malformed = '{"id": "evt_malformed", "type": "Not A Type!"}'
    oversized = orjson.dumps(
        {"id": "evt_big", "type": "review.published", "data": {"pad": "x" * 2048}}
    ).decode()
    batch = [malformed, 12345, oversized, valid.model_dump_json()]
    job = {"f": DISPATCH_JOB, "a": [batch], "k": {}, "t": 1, "et": int(time.time() * 1000)}

    async with RecordingSink() as sink:
        await _admin(store).create(WEBHOOK, name="hook", settings={"url": sink.url("/hook")})
        await _plant(redis_client, small, "planted-foreign", orjson.dumps(foreign))
        await _plant(redis_client, small, "planted-batch", orjson.dumps(job))

        async with running_worker(small):
            await sink.wait_for_count(1)
            entries = await _wait_rejected(sync_redis, keys, rejected_log, 4)
            await _wait_queue_empty(sync_redis, small)

        assert _ids(sink, "/hook") == ["evt_valid"]
    assert not marker.exists()

    [foreign_entry] = [e for e in entries if e.job_id == "planted-foreign"]
    assert foreign_entry.reason == "the payload is JSON but not a Switchboard job"
    assert "os.system" in foreign_entry.preview

    from_batch = [e for e in entries if e.job_id == "planted-batch"]
    assert len(from_batch) == 3
    bad = next(e for e in from_batch if e.reason.startswith("not a valid event"))
    assert bad.event_id == "evt_malformed"
    assert "type" in bad.reason
    assert bad.preview == malformed
    not_text = next(e for e in from_batch if e.reason.startswith("not an event"))
    assert not_text.reason == "not an event (JSON text expected)"
    assert not_text.preview == "12345"
    big = next(e for e in from_batch if "over the limit" in e.reason)
    assert big.reason == f"the event is {len(oversized)} bytes as JSON, over the limit of 1024"
    assert big.preview == oversized[:512]
    assert await redis_client.exists(ARQ_JOB_KEY_PREFIX + "planted-batch") == 0


async def test_oversized_event_is_recorded_with_its_claimed_id(
    settings: Settings, redis_client: Redis, keys: RedisKeys
) -> None:
    """An oversized event whose JSON carries an id is recorded under that id."""
    oversized = orjson.dumps(
        {"id": "evt_big", "type": "review.published", "data": {"pad": "x" * 2048}}
    ).decode()
    log = RejectedEventLog(redis_client, keys)
    services = JobServices(
        dispatcher=Dispatcher(IntegrationManager(), handler_timeout=1),
        rejected=log,
        dedup=EventDeduplicator(redis_client, keys),
        max_event_bytes=1024,
    )
    assert await dispatch_job({SERVICES: services, "job_id": "j1"}, [oversized]) == 0
    [entry] = await log.list()
    assert "over the limit" in entry.reason
    assert entry.event_id == "evt_big"


# -- JobDecoder ---------------------------------------------------------------------------


def _job(function: str, args: Any, **overrides: Any) -> dict[str, Any]:
    """A job dict as arq stores it; ``args`` may be anything, to build malformed ones."""
    return {"f": function, "a": args, "k": {}, "t": 1, "et": 1_700_000_000_000, **overrides}


@pytest.fixture
def decoder(settings: Settings) -> JobDecoder:
    # Limit: 1024 * 2 + 64 KiB.
    return JobDecoder(settings.model_copy(update={"max_event_bytes": 1024, "events_per_job": 2}))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(
            pickle.dumps(_job(DISPATCH_JOB, [["{}"]])), "not JSON (a pickle?)", id="pickle"
        ),
        pytest.param(pickle.dumps(CreatesMarker(Path("/nonexistent/x"))), "not JSON", id="reduce"),
        pytest.param(b"\x00\xff garbage {", "not JSON", id="garbage"),
        pytest.param(b"", "not JSON", id="empty"),
        pytest.param(b"[1, 2, 3]", "not a Switchboard job", id="json-list"),
        pytest.param(b'"a string"', "not a Switchboard job", id="json-string"),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, "not a list")), "not a Switchboard job", id="args-str"
        ),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, [["{}"], ["{}"]])), "not a Switchboard job", id="2-args"
        ),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, ["{}"])), "not a Switchboard job", id="args-not-list"
        ),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, [[]], k={"x": 1})), "not a Switchboard job", id="kwargs"
        ),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, [[]], t="1")), "not a Switchboard job", id="tries-str"
        ),
        pytest.param(
            orjson.dumps({"f": DISPATCH_JOB, "a": [[]], "k": {}, "t": 1}),
            "not a Switchboard job",
            id="no-et",
        ),
        pytest.param(
            orjson.dumps(_job(REJECT_JOB, ["reason", 5])), "not a Switchboard job", id="reject-int"
        ),
        pytest.param(
            orjson.dumps(_job("os.system", ["touch /tmp/x"])),
            "not a Switchboard job",
            id="unknown-function",
        ),
        pytest.param(
            orjson.dumps(_job("switchboard.dispatch_evil", [[]])),
            "not a Switchboard job",
            id="near-name",
        ),
        pytest.param(
            orjson.dumps(_job(DISPATCH_JOB, [["x" * (70 * 1024)]])),
            "over the limit of 67584",
            id="over-limit",
        ),
    ],
)
def test_decoder_turns_anything_else_into_a_reject_job(
    decoder: JobDecoder, payload: bytes, reason: str
) -> None:
    """Whatever is not a Switchboard job comes back as ``switchboard.reject``, never raising."""
    job = decoder(payload)

    assert job["f"] == REJECT_JOB
    assert job["k"] == {}
    assert isinstance(job["t"], int)
    assert isinstance(job["et"], int)
    got_reason, preview = job["a"]
    assert reason in got_reason
    assert preview == payload[:512].decode("utf-8", "backslashreplace")
    # The reject job is itself a valid job: decoding it again gives it back unchanged.
    assert decoder(orjson.dumps(job)) == job


def test_decoder_over_limit_names_the_size(decoder: JobDecoder) -> None:
    """The size check runs before parsing, and says how large the job was."""
    payload = b"{" + b" " * (70 * 1024) + b"}"
    job = decoder(payload)
    assert job["f"] == REJECT_JOB
    assert job["a"][0] == f"the job is {len(payload)} bytes, over the limit of 67584"


def test_decoder_returns_valid_jobs_unchanged(decoder: JobDecoder) -> None:
    """A producer's dispatch job and a reject job pass as they are."""
    event = Event(type="review.published", data={"n": 1})
    queued = QueuedJob([event.model_dump_json()])
    assert decoder(queued.payload) == orjson.loads(queued.payload)
    assert decoder(queued.payload)["a"] == [[event.model_dump_json()]]

    reject = _job(REJECT_JOB, ["why", "preview"])
    assert decoder(orjson.dumps(reject)) == reject

    at_the_limit = _job(DISPATCH_JOB, [["x"]])
    padding = 67584 - len(orjson.dumps(at_the_limit))
    at_the_limit["a"] = [["x" * (padding + 1)]]
    payload = orjson.dumps(at_the_limit)
    assert len(payload) == 67584
    assert decoder(payload) == at_the_limit
