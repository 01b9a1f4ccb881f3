"""``switchboard deliveries`` and ``switchboard dead-letters`` against a real Redis.

Delivery records are seeded through ``DeliveryLog.write()``, as the engine writes
them, with a settable clock so each write is indexed at its record's update time.
The tests then read them back through the CLI, and check replays in the stored
record and in the retry and dead-letter indexes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis
from click.testing import CliRunner
from support.cli import invoke, ok
from support.env import TEST_ENV, TEST_SECRET_KEY

from switchboard.config import (
    ENCRYPTED_PREFIX,
    Redis,
    RedisKeys,
    SecretBox,
    generate_secret_key,
)
from switchboard.integrations import DeliveryRequest, delivery_id
from switchboard.worker.delivery import (
    Attempt,
    DeliveryAdmin,
    DeliveryLog,
    DeliveryRecord,
    DeliveryStatus,
)
from switchboard.worker.delivery.sealing import RequestSealer

PREFIX = "sbtest"
CFG_A = "cfg_alpha"
CFG_B = "cfg_beta"
WEBHOOK = "switchboard.webhook"
RETENTION = 7 * 24 * 3600.0

SECRET_PATH = "secret-path-123"
SECRET_TOKEN = "tok-999"
REQUEST = DeliveryRequest(
    url=f"https://hooks.example.com/{SECRET_PATH}",
    headers={"Authorization": f"Bearer {SECRET_TOKEN}"},
    body=b"{}",
)
#: What the CLI shows of the request: method and host, nothing else.
SHOWN_REQUEST = {"method": "POST", "host": "hooks.example.com"}

LIST_HEADERS = ["ID", "STATUS", "ATTEMPTS", "EVENT TYPE", "CONFIG", "UPDATED", "NEXT / WHY"]
ATTEMPT_HEADERS = ["#", "AT", "STATUS", "MS", "ERROR", "NEXT ATTEMPT", "MANUAL"]
#: The fields every record shows (the model may have more; all are shown).
RECORD_FIELDS = {
    "id",
    "event_id",
    "event_type",
    "tenant",
    "config_id",
    "integration_id",
    "request",
    "status",
    "attempts",
    "created_at",
    "updated_at",
    "next_attempt_at",
    "dead_reason",
    "replay_pending",
}
ATTEMPT_FIELDS = {
    "number",
    "at",
    "status",
    "ms",
    "error",
    "error_class",
    "body",
    "next_attempt_at",
    "manual",
}

#: The seeded deliveries, most recently updated first.
NEWEST_FIRST = ["dead_b", "dead_a", "retrying", "delivered", "pending"]


# -- seeding -----------------------------------------------------------------------


class Clock:
    """A settable clock: each seeded write is scored at its record's update time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Seeded:
    """The seeded records by name, and the time they are relative to."""

    t0: float
    records: dict[str, DeliveryRecord]

    def id(self, name: str) -> str:
        return self.records[name].id

    def ids(self, *names: str) -> list[str]:
        return [self.records[name].id for name in names]


async def _write(
    redis_client: Redis, log: DeliveryLog, clock: Clock, record: DeliveryRecord, at: float
) -> None:
    """Write ``record`` (after its last attempt) as the engine does, at ``at``."""
    clock.now = at
    attempt = record.attempts[-1] if record.attempts else None
    async with redis_client.pipeline(transaction=True) as pipe:
        log.write(pipe, record, attempt)
        await pipe.execute()


@pytest.fixture
async def seeded(redis_client: Redis, keys: RedisKeys) -> Seeded:
    """Five deliveries of two configurations, one per status (two dead), written out of order.

    Newest update first: ``dead_b`` (cfg_beta), ``dead_a`` (cfg_alpha, its last attempt a
    manual replay), ``retrying`` (cfg_beta), ``delivered`` (cfg_alpha, first written while
    retrying), ``pending`` (cfg_alpha).
    """
    t0 = float(int(time.time()) - 3600)
    clock = Clock(t0)
    log = DeliveryLog(redis_client, keys, retention=RETENTION, clock=clock)
    sealed = RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(REQUEST)

    def record(name: str, event_type: str, config_id: str, **fields: Any) -> DeliveryRecord:
        event_id = f"evt_{name}"
        return DeliveryRecord(
            id=delivery_id(event_id, config_id),
            event_id=event_id,
            event_type=event_type,
            config_id=config_id,
            integration_id=WEBHOOK,
            request=sealed,
            created_at=t0,
            **fields,
        )

    pending = record("pending", "review.created", CFG_A, updated_at=t0 + 10)

    d1 = Attempt(
        number=1,
        at=t0 + 20,
        status=500,
        ms=31.5,
        error="HTTP 500",
        error_class="http",
        body="oops",
        next_attempt_at=t0 + 80,
    )
    d2 = Attempt(number=2, at=t0 + 80, status=200, ms=12.0, body="ok")
    delivered_first = record(
        "delivered",
        "review.created",
        CFG_A,
        status="retrying",
        attempts=(d1,),
        updated_at=t0 + 20,
        next_attempt_at=t0 + 80,
    )
    delivered = delivered_first.model_copy(
        update={
            "status": DeliveryStatus.DELIVERED,
            "attempts": (d1, d2),
            "updated_at": t0 + 80,
            "next_attempt_at": None,
        }
    )

    r1 = Attempt(
        number=1,
        at=t0 + 90,
        ms=10000.0,
        error="timed out after 10 s",
        error_class="timeout",
        next_attempt_at=t0 + 690,
    )
    retrying = record(
        "retrying",
        "review.updated",
        CFG_B,
        tenant="acme",
        status="retrying",
        attempts=(r1,),
        updated_at=t0 + 90,
        next_attempt_at=t0 + 690,
    )

    a1 = Attempt(
        number=1,
        at=t0 + 100,
        status=503,
        ms=15.0,
        error="HTTP 503",
        error_class="http",
        next_attempt_at=t0 + 160,
    )
    a2 = Attempt(number=2, at=t0 + 160, ms=2.5, error="connection refused", error_class="connect")
    a3 = Attempt(
        number=3,
        at=t0 + 400,
        status=500,
        ms=20.0,
        error="HTTP 500",
        error_class="http",
        body="still broken",
        manual=True,
    )
    dead_a = record(
        "dead_a",
        "review.created",
        CFG_A,
        status="dead",
        attempts=(a1, a2, a3),
        updated_at=t0 + 400,
        dead_reason="manual replay failed: HTTP 500",
    )

    b1 = Attempt(
        number=1, at=t0 + 500, status=410, ms=8.0, error="HTTP 410", error_class="http", body="gone"
    )
    dead_b = record(
        "dead_b",
        "review.deleted",
        CFG_B,
        tenant="acme",
        status="dead",
        attempts=(b1,),
        updated_at=t0 + 500,
        dead_reason="410 Gone: the configuration was disabled",
    )

    # Out of update order, so the listing order comes from the update times.
    for rec in (dead_a, pending, delivered_first, dead_b, retrying, delivered):
        await _write(redis_client, log, clock, rec, rec.updated_at)
    return Seeded(
        t0,
        {
            "pending": pending,
            "delivered": delivered,
            "retrying": retrying,
            "dead_a": dead_a,
            "dead_b": dead_b,
        },
    )


# -- helpers ---------------------------------------------------------------------


@pytest.fixture
def env(redis_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": PREFIX, **TEST_ENV}


@pytest.fixture
def runner(env: dict[str, str]) -> CliRunner:
    return CliRunner(env=env)


@pytest.fixture
def keyless(env: dict[str, str]) -> dict[str, str]:
    """The environment without a secret key."""
    return {**env, "SWITCHBOARD_SECRET_KEY": ""}


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


def as_json(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Any:
    return orjson.loads(ok(runner, *args, "--json", env=env))


def json_ids(runner: CliRunner, *args: str) -> list[str]:
    return [record["id"] for record in as_json(runner, *args)]


def table(stdout: str, headers: list[str]) -> list[list[str]]:
    """A table's data rows, cut at the header's column starts (cells may hold spaces)."""
    lines = stdout.splitlines()
    header, starts, position = lines[0], [], 0
    for name in headers:
        position = header.index(name, position)
        starts.append(position)
        position += len(name)
    ends: list[int | None] = [*starts[1:], None]
    assert [header[s:e].strip() for s, e in zip(starts, ends, strict=True)] == headers
    return [[line[s:e].strip() for s, e in zip(starts, ends, strict=True)] for line in lines[1:]]


def table_ids(stdout: str) -> list[str]:
    return [row[0] for row in table(stdout, LIST_HEADERS)]


def assert_record_fields(data: dict[str, Any]) -> None:
    """Exactly the record's fields: the documented ones and whatever the model adds."""
    assert set(data) >= RECORD_FIELDS
    assert set(data) == set(DeliveryRecord.model_fields)


def when(epoch: float) -> str:
    """How the CLI prints a time: UTC, ISO 8601, to the second."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def stored(raw_redis: redis.Redis, keys: RedisKeys, the_id: str) -> DeliveryRecord:
    raw = raw_redis.get(keys.delivery(the_id))
    assert isinstance(raw, bytes), f"{the_id} is not stored"
    return DeliveryRecord.model_validate_json(raw)


def zmembers(raw_redis: redis.Redis, key: str) -> set[str]:
    return {member.decode() for member in raw_redis.zrange(key, 0, -1)}


# -- deliveries list ---------------------------------------------------------------


def test_list_table_newest_updated_first(runner: CliRunner, seeded: Seeded) -> None:
    """Every delivery, one row each, ordered by last update (not by write order)."""
    t0 = seeded.t0
    out = ok(runner, "deliveries", "list")
    assert table(out, LIST_HEADERS) == [
        [
            seeded.id("dead_b"),
            "dead",
            "1",
            "review.deleted",
            CFG_B,
            when(t0 + 500),
            "410 Gone: the configuration was disabled",
        ],
        [
            seeded.id("dead_a"),
            "dead",
            "3",
            "review.created",
            CFG_A,
            when(t0 + 400),
            "manual replay failed: HTTP 500",
        ],
        [
            seeded.id("retrying"),
            "retrying",
            "1",
            "review.updated",
            CFG_B,
            when(t0 + 90),
            when(t0 + 690),
        ],
        [seeded.id("delivered"), "delivered", "2", "review.created", CFG_A, when(t0 + 80), "-"],
        [seeded.id("pending"), "pending", "0", "review.created", CFG_A, when(t0 + 10), "-"],
    ]


def test_list_times_are_utc_iso_to_the_second(runner: CliRunner, seeded: Seeded) -> None:
    """The UPDATED column is an ISO 8601 UTC time without fractions."""
    [row] = [r for r in table(ok(runner, "deliveries", "list"), LIST_HEADERS) if r[1] == "pending"]
    updated = row[5]
    assert updated.endswith("+00:00")
    assert datetime.fromisoformat(updated).timestamp() == seeded.t0 + 10


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("dead", ["dead_b", "dead_a"], id="dead"),
        pytest.param("retrying", ["retrying"], id="retrying"),
        pytest.param("delivered", ["delivered"], id="delivered"),
        pytest.param("pending", ["pending"], id="pending"),
    ],
)
def test_list_by_status(
    runner: CliRunner, seeded: Seeded, status: str, expected: list[str]
) -> None:
    """``--status`` keeps only deliveries in that state, newest first."""
    assert table_ids(ok(runner, "deliveries", "list", "--status", status)) == seeded.ids(*expected)
    records = as_json(runner, "deliveries", "list", "--status", status)
    assert [r["id"] for r in records] == seeded.ids(*expected)
    assert {r["status"] for r in records} == {status}


def test_list_unknown_status_is_invalid_input(runner: CliRunner, seeded: Seeded) -> None:
    """A status that does not exist exits 2 and lists nothing."""
    result = invoke(runner, "deliveries", "list", "--status", "lost")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "lost" in result.stderr


@pytest.mark.parametrize(
    ("config_id", "expected"),
    [
        pytest.param(CFG_A, ["dead_a", "delivered", "pending"], id="alpha"),
        pytest.param(CFG_B, ["dead_b", "retrying"], id="beta"),
    ],
)
def test_list_by_config(
    runner: CliRunner, seeded: Seeded, config_id: str, expected: list[str]
) -> None:
    """``--config`` keeps only that configuration's deliveries, newest first."""
    assert table_ids(ok(runner, "deliveries", "list", "--config", config_id)) == seeded.ids(
        *expected
    )
    records = as_json(runner, "deliveries", "list", "--config", config_id)
    assert [r["id"] for r in records] == seeded.ids(*expected)
    assert {r["config_id"] for r in records} == {config_id}


def test_list_by_unknown_config_says_no_deliveries(runner: CliRunner, seeded: Seeded) -> None:
    assert ok(runner, "deliveries", "list", "--config", "cfg_nobody") == "No deliveries.\n"
    assert as_json(runner, "deliveries", "list", "--config", "cfg_nobody") == []


def test_list_by_config_and_status_retrying(runner: CliRunner, seeded: Seeded) -> None:
    """Both filters apply: cfg_beta's retrying delivery, and none of cfg_alpha's."""
    assert json_ids(runner, "deliveries", "list", "--config", CFG_B, "--status", "retrying") == [
        seeded.id("retrying")
    ]
    assert json_ids(runner, "deliveries", "list", "--config", CFG_A, "--status", "retrying") == []


def test_list_dead_of_one_config(runner: CliRunner, seeded: Seeded) -> None:
    """``--status dead --config cfg_alpha`` lists cfg_alpha's dead letter only."""
    assert json_ids(runner, "deliveries", "list", "--status", "dead", "--config", CFG_A) == [
        seeded.id("dead_a")
    ]


def test_list_limit(runner: CliRunner, seeded: Seeded) -> None:
    """``--limit`` keeps the newest; with a status it still finds older matches."""
    assert table_ids(ok(runner, "deliveries", "list", "--limit", "2")) == seeded.ids(
        "dead_b", "dead_a"
    )
    assert json_ids(runner, "deliveries", "list", "--limit", "3") == seeded.ids(
        "dead_b", "dead_a", "retrying"
    )
    # The fourth newest, found although only one is asked for.
    assert json_ids(runner, "deliveries", "list", "--status", "delivered", "--limit", "1") == [
        seeded.id("delivered")
    ]
    assert json_ids(runner, "deliveries", "list", "--status", "dead", "--limit", "1") == [
        seeded.id("dead_b")
    ]


def test_list_limit_below_one_is_invalid_input(runner: CliRunner, seeded: Seeded) -> None:
    result = invoke(runner, "deliveries", "list", "--limit", "0")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_list_json_fields(runner: CliRunner, seeded: Seeded) -> None:
    """Every record field, the request reduced to method and host, newest first."""
    records = as_json(runner, "deliveries", "list")
    assert [r["id"] for r in records] == seeded.ids(*NEWEST_FIRST)
    for data in records:
        assert_record_fields(data)
        assert data["request"] == SHOWN_REQUEST
        for attempt in data["attempts"]:
            assert set(attempt) == ATTEMPT_FIELDS
    retrying = records[2]
    t0 = seeded.t0
    assert retrying["status"] == "retrying"
    assert retrying["event_id"] == "evt_retrying"
    assert retrying["event_type"] == "review.updated"
    assert retrying["tenant"] == "acme"
    assert retrying["config_id"] == CFG_B
    assert retrying["integration_id"] == WEBHOOK
    assert retrying["created_at"] == t0
    assert retrying["updated_at"] == t0 + 90
    assert retrying["next_attempt_at"] == t0 + 690
    assert retrying["dead_reason"] is None
    assert retrying["replay_pending"] is False
    assert retrying["attempts"] == [
        {
            "number": 1,
            "at": t0 + 90,
            "status": None,
            "ms": 10000.0,
            "error": "timed out after 10 s",
            "error_class": "timeout",
            "body": "",
            "next_attempt_at": t0 + 690,
            "manual": False,
        }
    ]
    pending = records[4]
    assert (pending["status"], pending["attempts"], pending["tenant"]) == ("pending", [], None)
    for data, name in zip(records, NEWEST_FIRST, strict=True):
        expected = seeded.records[name].model_dump(mode="json", exclude={"request"})
        assert data == {**expected, "request": SHOWN_REQUEST}


def test_list_empty(runner: CliRunner) -> None:
    """With no deliveries stored: a sentence, or an empty JSON list."""
    assert ok(runner, "deliveries", "list") == "No deliveries.\n"
    assert as_json(runner, "deliveries", "list") == []
    assert ok(runner, "deliveries", "list", "--status", "dead") == "No deliveries.\n"


@pytest.fixture
async def buried(seeded: Seeded, redis_client: Redis, keys: RedisKeys) -> Seeded:
    """``seeded``, then 1,200 delivered deliveries of cfg_alpha, all newer and all written
    in the same millisecond (as a group commit writes them)."""
    clock = Clock(seeded.t0 + 1000)
    log = DeliveryLog(redis_client, keys, retention=RETENTION, clock=clock)
    template = seeded.records["delivered"]
    async with redis_client.pipeline(transaction=False) as pipe:
        for n in range(1200):
            newer = template.model_copy(
                update={"id": delivery_id(f"evt_new_{n}", CFG_A), "updated_at": clock.now}
            )
            log.write(pipe, newer, newer.attempts[-1])
        await pipe.execute()
    return seeded


def test_list_by_status_finds_deliveries_older_than_a_thousand_newer_ones(
    runner: CliRunner, buried: Seeded
) -> None:
    """The README's own command: the retrying delivery is behind 1,200 newer ones."""
    assert json_ids(runner, "deliveries", "list", "--status", "retrying") == [buried.id("retrying")]
    assert table_ids(ok(runner, "deliveries", "list", "--status", "pending")) == [
        buried.id("pending")
    ]
    assert json_ids(runner, "deliveries", "list", "--config", CFG_B, "--status", "dead") == [
        buried.id("dead_b")
    ]


def _pages(runner: CliRunner, *args: str) -> list[list[str]]:
    """Every page of a listing, following the cursor each page prints on stderr."""
    pages, cursor = [], None
    while True:
        result = invoke(runner, *args, "--json", *(["--cursor", cursor] if cursor else []))
        assert result.exit_code == 0, result.output
        pages.append([record["id"] for record in orjson.loads(result.stdout)])
        hint = [line for line in result.stderr.splitlines() if "--cursor" in line]
        if not hint:
            return pages
        cursor = hint[0].rsplit(" ", 1)[1]
        assert len(pages) < 100, "the cursor does not move"


def test_pages_cover_every_delivery_once_even_with_a_shared_update_time(
    runner: CliRunner, buried: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    pages = _pages(runner, "deliveries", "list", "--limit", "500")
    assert [len(page) for page in pages] == [500, 500, 205]
    listed = [the_id for page in pages for the_id in page]
    assert len(set(listed)) == len(listed) == 1205
    assert set(listed) == zmembers(raw_redis, keys.deliveries)
    assert listed[-5:] == buried.ids(*NEWEST_FIRST)


def test_a_full_last_page_says_nothing_more(runner: CliRunner, seeded: Seeded) -> None:
    result = invoke(runner, "deliveries", "list", "--limit", "5")
    assert result.exit_code == 0
    assert table_ids(result.stdout) == seeded.ids(*NEWEST_FIRST)
    assert result.stderr == ""
    partial = invoke(runner, "deliveries", "list", "--limit", "4")
    assert "more deliveries may match: add --cursor " in partial.stderr


def test_a_cursor_goes_on_where_the_page_ended(runner: CliRunner, seeded: Seeded) -> None:
    assert _pages(runner, "deliveries", "list", "--limit", "2") == [
        seeded.ids("dead_b", "dead_a"),
        seeded.ids("retrying", "delivered"),
        seeded.ids("pending"),
    ]
    assert _pages(runner, "dead-letters", "list", "--limit", "1") == [
        seeded.ids("dead_b"),
        seeded.ids("dead_a"),
    ]


def test_a_cursor_that_was_not_printed_is_invalid_input(runner: CliRunner, seeded: Seeded) -> None:
    result = invoke(runner, "deliveries", "list", "--cursor", "x" * 500)
    assert result.exit_code == 2
    assert "cursor" in result.stderr
    assert "x" * 41 not in result.stderr


async def test_a_filtered_page_stops_at_its_scan_limit_and_says_more_may_match(
    redis_client: Redis, keys: RedisKeys, buried: Seeded
) -> None:
    """A status without an index of its own reads the records: at most scan_limit a page."""
    log = DeliveryLog(redis_client, keys, retention=RETENTION)
    admin = DeliveryAdmin(redis_client, log, secrets=None)
    first = await admin.find(status="pending", scan_limit=1000)
    assert first.records == []
    assert first.next_cursor is not None
    rest = await admin.find(status="pending", scan_limit=1000, cursor=first.next_cursor)
    assert [r.id for r in rest.records] == [buried.id("pending")]
    assert rest.next_cursor is None


# -- deliveries show ---------------------------------------------------------------


def test_show_text_lists_fields_and_every_attempt(runner: CliRunner, seeded: Seeded) -> None:
    """The record's fields, the request as method and host, and the attempt table."""
    t0 = seeded.t0
    the_id = seeded.id("dead_a")
    out = ok(runner, "deliveries", "show", the_id)
    lines = out.splitlines()
    assert lines[:10] == [
        f"id: {the_id}",
        "status: dead",
        "event_id: evt_dead_a",
        "event_type: review.created",
        "tenant: -",
        f"config_id: {CFG_A}",
        f"integration_id: {WEBHOOK}",
        "request: POST hooks.example.com",
        "dead_reason: manual replay failed: HTTP 500",
        f"created: {when(t0)}  updated: {when(t0 + 400)}",
    ]
    assert not any(line.startswith("next attempt:") for line in lines)
    responses = lines.index("responses:")
    assert table("\n".join(lines[10:responses]), ATTEMPT_HEADERS) == [
        ["1", when(t0 + 100), "503", "15.0", "HTTP 503", when(t0 + 160), ""],
        ["2", when(t0 + 160), "-", "2.5", "connection refused", "-", ""],
        ["3", when(t0 + 400), "500", "20.0", "HTTP 500", "-", "yes"],
    ]
    # The response bodies kept, which --json has too: only attempt 3 got one.
    assert lines[responses + 1 :] == ["  #3: still broken"]


def test_show_text_of_a_retrying_delivery_gives_its_next_attempt(
    runner: CliRunner, seeded: Seeded
) -> None:
    t0 = seeded.t0
    lines = ok(runner, "deliveries", "show", seeded.id("retrying")).splitlines()
    assert "status: retrying" in lines
    assert "tenant: acme" in lines
    assert "dead_reason: -" in lines
    assert f"next attempt: {when(t0 + 690)}" in lines
    attempts = "\n".join(lines[lines.index(f"next attempt: {when(t0 + 690)}") + 1 :])
    assert table(attempts, ATTEMPT_HEADERS) == [
        ["1", when(t0 + 90), "-", "10000.0", "timed out after 10 s", when(t0 + 690), ""]
    ]


@pytest.fixture
async def held(redis_client: Redis, keys: RedisKeys) -> float:
    """A delivery held by an open circuit (no attempt yet), due 11 s after the returned time."""
    now = float(int(time.time()))
    clock = Clock(now)
    log = DeliveryLog(redis_client, keys, retention=RETENTION, clock=clock)
    record = DeliveryRecord(
        id="dlv_held", event_id="evt_held", event_type="build.failed", config_id="cfg_down",
        integration_id=WEBHOOK, request=RequestSealer(SecretBox([TEST_SECRET_KEY])).seal(REQUEST),
        status="retrying", created_at=now, updated_at=now, next_attempt_at=now + 11,
        waiting_for="circuit open",
    )  # fmt: skip
    await _write(redis_client, log, clock, record, now)
    return now


def test_a_delivery_waiting_without_an_attempt_says_why(runner: CliRunner, held: float) -> None:
    """Held by an open circuit (or a rate limit, a busy host): no attempt, and the reason."""
    out = ok(runner, "deliveries", "list", "--config", "cfg_down")
    assert table(out, LIST_HEADERS) == [
        ["dlv_held", "retrying", "0", "build.failed", "cfg_down", when(held),
         f"{when(held + 11)} (circuit open)"],
    ]  # fmt: skip
    shown = ok(runner, "deliveries", "show", "dlv_held").splitlines()
    assert f"next attempt: {when(held + 11)} (circuit open)" in shown


def test_show_text_of_a_pending_delivery_has_an_empty_attempt_table(
    runner: CliRunner, seeded: Seeded
) -> None:
    lines = ok(runner, "deliveries", "show", seeded.id("pending")).splitlines()
    assert "status: pending" in lines
    assert not any(line.startswith("next attempt:") for line in lines)
    assert lines[-1].split() == ["#", "AT", "STATUS", "MS", "ERROR", "NEXT", "ATTEMPT", "MANUAL"]


def test_show_json(runner: CliRunner, seeded: Seeded) -> None:
    """The whole record with every attempt; the request only as method and host."""
    t0 = seeded.t0
    data = as_json(runner, "deliveries", "show", seeded.id("dead_a"))
    assert_record_fields(data)
    assert data["request"] == SHOWN_REQUEST
    assert data["status"] == "dead"
    assert data["dead_reason"] == "manual replay failed: HTTP 500"
    assert [
        (a["number"], a["status"], a["error"], a["next_attempt_at"], a["manual"])
        for a in data["attempts"]
    ] == [
        (1, 503, "HTTP 503", t0 + 160, False),
        (2, None, "connection refused", None, False),
        (3, 500, "HTTP 500", None, True),
    ]
    assert data["attempts"][2]["body"] == "still broken"
    expected = seeded.records["dead_a"].model_dump(mode="json", exclude={"request"})
    assert data == {**expected, "request": SHOWN_REQUEST}


def test_show_json_of_a_delivered_delivery(runner: CliRunner, seeded: Seeded) -> None:
    data = as_json(runner, "deliveries", "show", seeded.id("delivered"))
    assert data["status"] == "delivered"
    assert data["next_attempt_at"] is None
    assert [(a["number"], a["status"], a["error"]) for a in data["attempts"]] == [
        (1, 500, "HTTP 500"),
        (2, 200, None),
    ]
    assert data["attempts"][0]["next_attempt_at"] == seeded.t0 + 80


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["deliveries", "list"], id="list"),
        pytest.param(["deliveries", "list", "--json"], id="list-json"),
        pytest.param(["deliveries", "show", "{dead_a}"], id="show"),
        pytest.param(["deliveries", "show", "{dead_a}", "--json"], id="show-json"),
        pytest.param(["deliveries", "show", "{retrying}"], id="show-retrying"),
        pytest.param(["dead-letters", "list"], id="dead-list"),
        pytest.param(["dead-letters", "list", "--json"], id="dead-list-json"),
    ],
)
def test_no_output_shows_the_url_path_or_the_headers(
    runner: CliRunner, seeded: Seeded, args: list[str]
) -> None:
    """The URL's path and the Authorization header appear in no output."""
    names = {name: seeded.id(name) for name in seeded.records}
    result = invoke(runner, *[arg.format(**names) for arg in args])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    for secret in (SECRET_PATH, SECRET_TOKEN, "Bearer", "Authorization"):
        assert secret not in result.output


def test_show_without_a_secret_key_shows_the_request_sealed(
    runner: CliRunner, seeded: Seeded, keyless: dict[str, str]
) -> None:
    """With no key to open it, the request shows as sealed and the rest as usual."""
    the_id = seeded.id("dead_a")
    data = as_json(runner, "deliveries", "show", the_id, env=keyless)
    assert data["request"] == {"sealed": True}
    assert data["id"] == the_id
    assert len(data["attempts"]) == 3

    result = invoke(runner, "deliveries", "show", the_id, env=keyless)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "request: sealed (SWITCHBOARD_SECRET_KEY here does not open it)" in lines
    assert "hooks.example.com" not in result.output
    assert SECRET_PATH not in result.output
    assert len(table("\n".join(lines[10 : lines.index("responses:")]), ATTEMPT_HEADERS)) == 3

    listed = as_json(runner, "deliveries", "list", env=keyless)
    assert [r["id"] for r in listed] == seeded.ids(*NEWEST_FIRST)
    assert {orjson.dumps(r["request"]) for r in listed} == {orjson.dumps({"sealed": True})}
    dead = as_json(runner, "dead-letters", "list", env=keyless)
    assert [r["request"] for r in dead] == [{"sealed": True}] * 2


def test_show_with_the_wrong_secret_key_shows_the_request_sealed(
    runner: CliRunner, seeded: Seeded, env: dict[str, str]
) -> None:
    """A key that cannot open the request: sealed, not an error."""
    other = {**env, "SWITCHBOARD_SECRET_KEY": generate_secret_key()}
    data = as_json(runner, "deliveries", "show", seeded.id("dead_b"), env=other)
    assert data["request"] == {"sealed": True}
    assert data["status"] == "dead"


def test_show_unknown_id_exits_1_naming_it(runner: CliRunner, seeded: Seeded) -> None:
    for extra in ([], ["--json"]):
        result = invoke(runner, "deliveries", "show", "dlv_nosuchthing", *extra)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith("error: ")
        assert '"dlv_nosuchthing"' in result.stderr


# -- dead-letters list ---------------------------------------------------------------


def test_dead_letters_list_only_dead_ones_newest_first(runner: CliRunner, seeded: Seeded) -> None:
    t0 = seeded.t0
    out = ok(runner, "dead-letters", "list")
    assert table(out, LIST_HEADERS) == [
        [
            seeded.id("dead_b"),
            "dead",
            "1",
            "review.deleted",
            CFG_B,
            when(t0 + 500),
            "410 Gone: the configuration was disabled",
        ],
        [
            seeded.id("dead_a"),
            "dead",
            "3",
            "review.created",
            CFG_A,
            when(t0 + 400),
            "manual replay failed: HTTP 500",
        ],
    ]


@pytest.mark.parametrize(
    ("config_id", "expected"),
    [
        pytest.param(CFG_A, ["dead_a"], id="alpha"),
        pytest.param(CFG_B, ["dead_b"], id="beta"),
    ],
)
def test_dead_letters_list_by_config(
    runner: CliRunner, seeded: Seeded, config_id: str, expected: list[str]
) -> None:
    assert table_ids(ok(runner, "dead-letters", "list", "--config", config_id)) == seeded.ids(
        *expected
    )
    assert json_ids(runner, "dead-letters", "list", "--config", config_id) == seeded.ids(*expected)


def test_dead_letters_list_json(runner: CliRunner, seeded: Seeded) -> None:
    records = as_json(runner, "dead-letters", "list")
    assert [r["id"] for r in records] == seeded.ids("dead_b", "dead_a")
    for data, name in zip(records, ["dead_b", "dead_a"], strict=True):
        assert_record_fields(data)
        expected = seeded.records[name].model_dump(mode="json", exclude={"request"})
        assert data == {**expected, "request": SHOWN_REQUEST}


def test_dead_letters_list_limit(runner: CliRunner, seeded: Seeded) -> None:
    assert json_ids(runner, "dead-letters", "list", "--limit", "1") == [seeded.id("dead_b")]


def test_dead_letters_list_none(runner: CliRunner, seeded: Seeded) -> None:
    """A configuration without dead letters: a sentence, or an empty JSON list."""
    assert ok(runner, "dead-letters", "list", "--config", "cfg_nobody") == "No dead letters.\n"
    assert as_json(runner, "dead-letters", "list", "--config", "cfg_nobody") == []


def test_dead_letters_list_empty(runner: CliRunner) -> None:
    assert ok(runner, "dead-letters", "list") == "No dead letters.\n"
    assert as_json(runner, "dead-letters", "list") == []


@pytest.fixture
async def crowded(seeded: Seeded, redis_client: Redis, keys: RedisKeys) -> Seeded:
    """``seeded``, plus 20 dead letters of cfg_beta newer than cfg_alpha's one."""
    clock = Clock(seeded.t0)
    log = DeliveryLog(redis_client, keys, retention=RETENTION, clock=clock)
    template = seeded.records["dead_b"]
    for n in range(20):
        at = seeded.t0 + 600 + n
        extra = template.model_copy(
            update={"id": delivery_id(f"evt_more_{n}", CFG_B), "updated_at": at}
        )
        await _write(redis_client, log, clock, extra, at)
    return seeded


def test_dead_letters_list_by_config_finds_older_ones(runner: CliRunner, crowded: Seeded) -> None:
    """cfg_alpha's dead letter is listed however many newer ones cfg_beta has."""
    assert json_ids(runner, "dead-letters", "list", "--config", CFG_A, "--limit", "1") == [
        crowded.id("dead_a")
    ]


# -- dead-letters replay ---------------------------------------------------------------


def test_replay_one_dead_letter(
    runner: CliRunner, seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    """It becomes retrying, due now, marked for a manual attempt, out of the dead letters."""
    the_id = seeded.id("dead_a")
    before = time.time()
    result = invoke(runner, "dead-letters", "replay", the_id)
    after = time.time()
    assert result.exit_code == 0, result.output
    assert result.stdout == "replaying 1 delivery\n"
    assert result.stderr == ""

    record = stored(raw_redis, keys, the_id)
    assert record.status == "retrying"
    assert record.replay_pending is True
    assert record.next_attempt_at is not None
    assert before <= record.next_attempt_at <= after
    assert record.updated_at == record.next_attempt_at
    # The attempt log and everything else are as they were: the replay adds no attempt.
    assert record.attempts == seeded.records["dead_a"].attempts
    assert record.request == seeded.records["dead_a"].request
    assert record.created_at == seeded.t0

    due_ms = raw_redis.zscore(keys.retries, the_id)
    assert due_ms == int(record.next_attempt_at * 1000)
    assert due_ms <= after * 1000  # due already
    assert raw_redis.zscore(keys.dead_letters, the_id) is None
    assert zmembers(raw_redis, keys.dead_letters) == {seeded.id("dead_b")}

    # The CLI agrees: no longer a dead letter, the most recently updated delivery.
    assert json_ids(runner, "dead-letters", "list") == [seeded.id("dead_b")]
    rows = table(ok(runner, "deliveries", "list"), LIST_HEADERS)
    assert [row[0] for row in rows] == seeded.ids(
        "dead_a", "dead_b", "retrying", "delivered", "pending"
    )
    assert rows[0][1] == "retrying"
    assert rows[0][6] == when(record.next_attempt_at)
    shown = as_json(runner, "deliveries", "show", the_id)
    assert (shown["status"], shown["replay_pending"]) == ("retrying", True)
    assert [a["manual"] for a in shown["attempts"]] == [False, False, True]


@pytest.mark.parametrize("name", ["pending", "delivered", "retrying", None])
def test_replay_of_what_is_not_a_dead_letter_warns_and_replays_nothing(
    runner: CliRunner,
    seeded: Seeded,
    raw_redis: redis.Redis,
    keys: RedisKeys,
    name: str | None,
) -> None:
    """A delivery that is not dead (or no delivery at all): a warning naming it, no change."""
    the_id = seeded.id(name) if name is not None else "dlv_nosuchthing"
    retries_before = raw_redis.zrange(keys.retries, 0, -1, withscores=True)
    result = invoke(runner, "dead-letters", "replay", the_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == "replaying 0 deliveries\n"
    assert result.stderr == f"warning: {the_id} is not a dead letter; not replayed\n"
    if name is not None:
        assert stored(raw_redis, keys, the_id) == seeded.records[name]
    assert raw_redis.zrange(keys.retries, 0, -1, withscores=True) == retries_before
    assert zmembers(raw_redis, keys.dead_letters) == set(seeded.ids("dead_a", "dead_b"))


def test_replay_several_ids_replays_the_dead_and_warns_about_the_rest(
    runner: CliRunner, seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    result = invoke(runner, "dead-letters", "replay", seeded.id("delivered"), seeded.id("dead_b"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "replaying 1 delivery\n"
    assert result.stderr == (
        f"warning: {seeded.id('delivered')} is not a dead letter; not replayed\n"
    )
    assert stored(raw_redis, keys, seeded.id("dead_b")).status == "retrying"
    assert stored(raw_redis, keys, seeded.id("delivered")).status == "delivered"
    assert zmembers(raw_redis, keys.dead_letters) == {seeded.id("dead_a")}


@pytest.mark.parametrize(
    ("config_id", "replayed", "kept"),
    [
        pytest.param(CFG_A, "dead_a", "dead_b", id="alpha"),
        pytest.param(CFG_B, "dead_b", "dead_a", id="beta"),
    ],
)
def test_replay_by_config_replays_only_that_configs_dead_letters(
    runner: CliRunner,
    seeded: Seeded,
    raw_redis: redis.Redis,
    keys: RedisKeys,
    config_id: str,
    replayed: str,
    kept: str,
) -> None:
    result = invoke(runner, "dead-letters", "replay", "--config", config_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == "replaying 1 delivery\n"
    assert result.stderr == ""
    again = stored(raw_redis, keys, seeded.id(replayed))
    assert (again.status, again.replay_pending) == ("retrying", True)
    assert raw_redis.zscore(keys.retries, seeded.id(replayed)) is not None
    assert stored(raw_redis, keys, seeded.id(kept)) == seeded.records[kept]
    assert raw_redis.zscore(keys.retries, seeded.id(kept)) is None
    assert zmembers(raw_redis, keys.dead_letters) == {seeded.id(kept)}


def test_replay_by_config_without_dead_letters_replays_nothing(
    runner: CliRunner, seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    assert ok(runner, "dead-letters", "replay", "--config", "cfg_nobody") == (
        "replaying 0 deliveries\n"
    )
    assert zmembers(raw_redis, keys.dead_letters) == set(seeded.ids("dead_a", "dead_b"))


def test_replay_all(
    runner: CliRunner, seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    """Every dead letter, and nothing else, is scheduled again."""
    result = invoke(runner, "dead-letters", "replay", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout == "replaying 2 deliveries\n"
    assert raw_redis.zcard(keys.dead_letters) == 0
    assert zmembers(raw_redis, keys.retries) == set(seeded.ids("dead_a", "dead_b", "retrying"))
    for name in ("dead_a", "dead_b"):
        record = stored(raw_redis, keys, seeded.id(name))
        assert (record.status, record.replay_pending) == ("retrying", True)
    for name in ("pending", "delivered", "retrying"):
        assert stored(raw_redis, keys, seeded.id(name)) == seeded.records[name]
    assert ok(runner, "dead-letters", "list") == "No dead letters.\n"
    assert ok(runner, "dead-letters", "replay", "--all") == "replaying 0 deliveries\n"


def test_replay_without_arguments_exits_2(
    runner: CliRunner, seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys
) -> None:
    """Neither ids, --config nor --all: invalid input, and nothing replayed."""
    result = invoke(runner, "dead-letters", "replay")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "--all" in result.stderr
    assert zmembers(raw_redis, keys.dead_letters) == set(seeded.ids("dead_a", "dead_b"))
    assert zmembers(raw_redis, keys.retries) == {seeded.id("retrying")}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["{dead_a}", "{dead_a}"], id="id-twice"),
        pytest.param(["{dead_a}", "--config", CFG_A], id="id-and-its-config"),
        pytest.param(["{dead_a}", "--all"], id="id-and-all"),
    ],
)
def test_replay_counts_a_dead_letter_named_twice_once(
    runner: CliRunner, seeded: Seeded, args: list[str]
) -> None:
    names = {name: seeded.id(name) for name in seeded.records}
    out = ok(runner, "dead-letters", "replay", *[arg.format(**names) for arg in args])
    expected = 2 if "--all" in args else 1
    assert out == ("replaying 2 deliveries\n" if expected == 2 else "replaying 1 delivery\n")


# -- sealed at rest ---------------------------------------------------------------


@pytest.mark.parametrize("name", NEWEST_FIRST)
def test_the_stored_record_holds_the_request_sealed(
    seeded: Seeded, raw_redis: redis.Redis, keys: RedisKeys, name: str
) -> None:
    """Redis holds neither the URL's path nor the token, and the key opens the request."""
    raw = raw_redis.get(keys.delivery(seeded.id(name)))
    assert isinstance(raw, bytes)
    assert SECRET_PATH.encode() not in raw
    assert SECRET_TOKEN.encode() not in raw
    sealed = orjson.loads(raw)["request"]
    assert sealed["endpoint"].startswith(ENCRYPTED_PREFIX)
    assert "url" not in sealed
    assert "headers" not in sealed
    opened = DeliveryRecord.model_validate_json(raw).open_request(SecretBox([TEST_SECRET_KEY]))
    assert opened.url == REQUEST.url
    assert opened.headers == {"Authorization": f"Bearer {SECRET_TOKEN}"}


def test_a_replay_keeps_the_request_sealed_and_needs_no_key(
    runner: CliRunner,
    seeded: Seeded,
    raw_redis: redis.Redis,
    keys: RedisKeys,
    keyless: dict[str, str],
) -> None:
    """Replayed without a key, the stored request is the same ciphertext as before."""
    assert ok(runner, "dead-letters", "replay", "--all", env=keyless) == (
        "replaying 2 deliveries\n"
    )
    for name in ("dead_a", "dead_b"):
        raw = raw_redis.get(keys.delivery(seeded.id(name)))
        assert isinstance(raw, bytes)
        assert SECRET_PATH.encode() not in raw
        assert SECRET_TOKEN.encode() not in raw
        record = DeliveryRecord.model_validate_json(raw)
        assert record.status == "retrying"
        assert record.request == seeded.records[name].request


# -- time filters (--since/--until on updated_at) ------------------------------------


def test_list_since_until_bound_the_update_time(runner: CliRunner, seeded: Seeded) -> None:
    """``since`` inclusive, ``until`` exclusive; epoch seconds or ISO 8601; with a filter."""
    t0 = seeded.t0
    assert json_ids(runner, "deliveries", "list", "--since", str(t0 + 85)) == seeded.ids(
        "dead_b", "dead_a", "retrying"
    )
    until = datetime.fromtimestamp(t0 + 90, UTC).isoformat()
    assert json_ids(runner, "deliveries", "list", "--until", until) == seeded.ids(
        "delivered", "pending"
    )
    window = ["--since", str(t0 + 80), "--until", str(t0 + 400)]
    assert json_ids(runner, "deliveries", "list", *window, "--config", CFG_A) == seeded.ids(
        "delivered"
    )
    assert json_ids(runner, "deliveries", "list", *window, "--status", "retrying") == seeded.ids(
        "retrying"
    )


def test_list_time_window_pages_with_its_cursor(runner: CliRunner, seeded: Seeded) -> None:
    window = ["--since", str(seeded.t0 + 10), "--until", str(seeded.t0 + 500), "--limit", "1"]
    found: list[str] = []
    cursor: list[str] = []
    for _ in range(10):
        result = invoke(runner, "deliveries", "list", "--json", *window, *cursor)
        assert result.exit_code == 0, result.output
        found += [record["id"] for record in orjson.loads(result.stdout)]
        if "--cursor" not in result.stderr:
            break
        cursor = ["--cursor", result.stderr.split("--cursor ")[1].split()[0]]
    assert found == seeded.ids("dead_a", "retrying", "delivered", "pending")


def test_list_unreadable_time_is_a_usage_error(runner: CliRunner, seeded: Seeded) -> None:
    result = invoke(runner, "deliveries", "list", "--since", "soon")
    assert result.exit_code == 2
    assert "'soon' is no ISO 8601 time or epoch seconds" in result.stderr
