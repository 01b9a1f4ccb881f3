"""Retries, dead letters and endpoint health: the ``DeliveryEngine`` against real Redis and HTTP.

Time is a ``FakeClock`` the tests move by hand: a retry is driven by
advancing it to the due time and claiming the delivery (``claim_due``)
or calling ``engine.retry()``, never by sleeping. ``rng`` returns 0.5, so
the jitter is zero unless a test says otherwise. Every endpoint is a real
aiohttp server on 127.0.0.1 (``RecordingSink``); every assertion about state reads
Redis: the delivery record, the retries and dead-letters sorted sets, the
configuration's health hash, the arq jobs of internal events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, ClassVar, TypeVar

import orjson
import pytest
from support.webhooks import add_webhook

from switchboard.config import (
    ARQ_JOB_KEY_PREFIX,
    ConfigCache,
    ConfigStore,
    Redis,
    RedisKeys,
    SecretBox,
    Settings,
    is_encrypted,
)
from switchboard.integrations import (
    ConfigAdmin,
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResponse,
    DeliveryResult,
    Event,
    Integration,
    IntegrationConfig,
    IntegrationManager,
    Verdict,
    delivery_id,
)
from switchboard.integrations.builtin import WebhookIntegration
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import DEFAULT_TIMEOUT, wait_for, wait_for_async
from switchboard.worker.delivery import (
    Attempter,
    DeliveryEngine,
    DeliveryLog,
    DeliveryRecord,
    DeliveryStatus,
    FirstAttemptTuning,
    RetryLane,
    RetryTuning,
    WaitReason,
)
from switchboard.worker.dispatcher import CURRENT_DISPATCH, DispatchContext
from switchboard.worker.queue import DISPATCH_JOB

#: The defaults the engine runs with here (``DeliveryTuning.from_settings``).
INLINE_ATTEMPT_BUDGET = FirstAttemptTuning().inline_budget
UNKNOWN_CONFIG_DELAY = FirstAttemptTuning().unknown_config_delay

T = TypeVar("T")

#: The fake clock's start: a whole second, so due times in ms are exact.
T0 = 1_700_000_000.0

#: The default schedule's delays (``Settings.retry_schedule``).
DEFAULT_GAPS = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


class FakeClock:
    """Epoch seconds that move only when the test moves them."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- integrations the tests send through -------------------------------------------------


class SenderIntegration(Integration):
    """Sends nothing by itself: the tests call ``send()`` on it. The default schedule."""

    integration_id = "tests.retries.sender"


class ShortScheduleIntegration(Integration):
    """Its own schedule: two retries, 1 s and 2 s apart."""

    integration_id = "tests.retries.short"
    retry_schedule = (1, 2)


class NoRetriesIntegration(Integration):
    """An explicitly empty schedule: never retry."""

    integration_id = "tests.retries.none"
    retry_schedule: ClassVar[tuple[float, ...]] = ()


class JudgingIntegration(Integration):
    """Judges responses as a Slack-like API would."""

    integration_id = "tests.retries.judging"

    def classify_response(
        self, config: IntegrationConfig, response: DeliveryResponse
    ) -> Verdict | None:
        if response.status == 404 and response.body == b"no_service":
            return Verdict.PERMANENT
        if response.status == 202 and b"error" in response.body:
            return Verdict.DELIVERED  # queued by the receiver, whatever the body says
        if response.status == 409 and response.body == b"duplicate":
            return Verdict.DELIVERED  # the receiver had it already
        if response.status == 200 and response.body == b'{"ok":false}':
            return Verdict.RETRY
        return None

    def retry_after(self, config: IntegrationConfig, response: DeliveryResponse) -> float | None:
        if response.body == b"broken":
            raise ValueError("a bug in the integration")
        if response.body.startswith(b"wait "):
            return float(response.body.removeprefix(b"wait "))
        return None


class HintingIntegration(Integration):
    """Reads the wait from the body, as Discord's 429 carries it; a broken body breaks it."""

    integration_id = "tests.retries.hinting"

    def retry_after(self, config: IntegrationConfig, response: DeliveryResponse) -> float | None:
        if response.body == b"broken":
            raise ValueError("an integration's bug")
        return float(response.body) if response.body else None


INTEGRATIONS: tuple[type[Integration], ...] = (
    SenderIntegration,
    HintingIntegration,
    ShortScheduleIntegration,
    NoRetriesIntegration,
    JudgingIntegration,
    WebhookIntegration,
)


# -- the rig -------------------------------------------------------------------------------


@dataclass
class Rig:
    """An engine plugged into a manager that follows the store, on a fake clock."""

    settings: Settings
    engine: DeliveryEngine
    log: DeliveryLog
    manager: IntegrationManager
    store: ConfigStore
    redis: Redis
    keys: RedisKeys
    clock: FakeClock

    async def add(self, integration_cls: type[Integration], name: str = "endpoint") -> str:
        """A configuration of ``integration_cls``, once this process's manager has it."""
        record = await self.store.create(integration_id=integration_cls.integration_id, name=name)
        await self.has_config(record.id)
        return record.id

    async def has_config(self, config_id: str) -> None:
        await wait_for(lambda: self.manager.get_config(config_id) is not None, what=config_id)

    def config(self, config_id: str) -> IntegrationConfig:
        config = self.manager.get_config(config_id)
        assert config is not None
        return config

    async def send(
        self, config_id: str, url: str, event: Event | None = None, **request: Any
    ) -> DeliveryResult:
        """``send()`` through the configuration's integration, as a handler would."""
        config = self.config(config_id)
        event = event or Event(type="review.published", data={"review_id": 1})
        return await config.integration.send(config, event, DeliveryRequest(url, **request))

    async def record(self, the_id: str) -> DeliveryRecord:
        record = await self.log.get(the_id)
        assert record is not None, f"no record of {the_id}"
        return record

    async def due_at(self, the_id: str) -> float | None:
        """When the retries sorted set says the next attempt is due (s), if it is there."""
        score = await self.redis.zscore(self.keys.retries, the_id)
        return None if score is None else score / 1000

    async def is_dead_letter(self, the_id: str) -> bool:
        return await self.redis.zscore(self.keys.dead_letters, the_id) is not None

    async def next_attempt(self, the_id: str) -> DeliveryResult | None:
        """Move the clock to the due time, claim the delivery there and retry it."""
        due = await self.due_at(the_id)
        assert due is not None, f"{the_id} is not scheduled"
        self.clock.now = due
        assert await self.log.claim_due(100) == [the_id]
        return await self.engine.retry(the_id)

    async def health_exists(self, config_id: str) -> bool:
        return bool(await self.redis.exists(self.keys.config_health(config_id)))

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Internal events on the queue, decoded from their arq jobs, oldest first."""
        found = []
        for job_id in await self.redis.zrange(self.settings.effective_queue_name, 0, -1):
            raw = await self.redis.get(ARQ_JOB_KEY_PREFIX + job_id.decode())
            assert raw is not None
            job = orjson.loads(raw)
            assert job["f"] == DISPATCH_JOB
            found.extend(orjson.loads(text) for text in job["a"][0])
        return [e for e in found if event_type is None or e["type"] == event_type]


@asynccontextmanager
async def engine_rig(
    settings: Settings,
    store: ConfigStore,
    redis: Redis,
    *,
    rng: Callable[[], float] = lambda: 0.5,
    real_time: bool = False,
) -> AsyncIterator[Rig]:
    """As ``webhook_rig`` builds its manager, with a ``DeliveryEngine`` as the deliverer."""
    keys = RedisKeys(settings.key_prefix)
    clock = FakeClock()
    engine_clock: Callable[[], float] = time.time if real_time else clock
    manager = IntegrationManager()
    for integration_cls in INTEGRATIONS:
        manager.register(integration_cls)
    log = DeliveryLog(redis, keys, retention=settings.delivery_retention, clock=engine_clock)
    async with (
        ConfigCache(store, redis, poll_interval=settings.config_poll_interval) as cache,
        Attempter.for_settings(settings) as attempter,
    ):
        engine = DeliveryEngine(
            settings,
            attempter=attempter,
            log=log,
            manager=manager,
            store=store,
            redis=redis,
            clock=engine_clock,
            rng=rng,
        )
        with manager.running(cache, deliverer=engine):
            yield Rig(settings, engine, log, manager, store, redis, keys, clock)


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    async with RecordingSink() as sink:
        yield sink


@pytest.fixture
async def rig(settings: Settings, store: ConfigStore, redis_client: Redis) -> AsyncIterator[Rig]:
    async with engine_rig(settings, store, redis_client) as rig:
        yield rig


def header(received: Any, name: str) -> str | None:
    return {k.lower(): v for k, v in received.headers.items()}.get(name)


# -- 1. the schedule -----------------------------------------------------------------------


async def test_500_every_time_follows_the_schedule_then_is_a_dead_letter(
    rig: Rig, sink: RecordingSink
) -> None:
    """9 attempts at t0, +0, +5, +300, ... +36000, each claimable at its due time and not
    before; then dead, in the dead letters, and a delivery.exhausted event is queued."""
    sink.on("/down", status=500, body=b"boom")
    config_id = await rig.add(SenderIntegration)
    event = Event(type="review.published", data={"review_id": 7})

    first = await rig.send(config_id, sink.url("/down"), event)
    the_id = first.delivery_id
    assert the_id == delivery_id(event.id, config_id)
    assert first.outcome is DeliveryOutcome.RETRYING
    assert first.attempt == 1

    due = T0
    result: DeliveryResult | None = first
    for number, gap in enumerate(DEFAULT_GAPS, start=2):
        due += gap
        assert await rig.due_at(the_id) == due, f"attempt {number}"
        rig.clock.now = due - 0.5
        assert await rig.log.claim_due(100) == [], f"attempt {number} claimable early"
        rig.clock.now = due
        assert await rig.log.claim_due(100) == [the_id]
        result = await rig.engine.retry(the_id)
        assert result is not None
        assert result.attempt == number

    assert result is not None
    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(the_id)
    assert record.status == "dead"
    assert record.dead_reason == "gave up after 9 attempts"
    assert [a.number for a in record.attempts] == list(range(1, 10))
    expected_times = [T0]
    for gap in DEFAULT_GAPS:
        expected_times.append(expected_times[-1] + gap)
    assert [a.at for a in record.attempts] == expected_times
    assert all(a.status == 500 and a.error == "HTTP 500" for a in record.attempts)
    assert record.attempts[-1].next_attempt_at is None
    assert await rig.due_at(the_id) is None
    assert await rig.is_dead_letter(the_id)
    rig.clock.advance(10 * 86400)
    assert await rig.log.claim_due(100) == []

    received = sink.at("/down")
    assert len(received) == 9
    assert {header(r, "webhook-id") for r in received} == {the_id}

    [exhausted] = await rig.events("switchboard.delivery.exhausted")
    assert exhausted["data"] == {
        "delivery_id": the_id,
        "event_id": event.id,
        "config_id": config_id,
        "integration_id": SenderIntegration.integration_id,
        "reason": "gave up after 9 attempts",
        "attempts": 9,
    }


@pytest.mark.parametrize(("rng_value", "delay"), [(0.0, 4.0), (1.0, 6.0), (0.5, 5.0)])
async def test_jitter_varies_a_delay_by_up_to_20_percent(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    sink: RecordingSink,
    rng_value: float,
    delay: float,
) -> None:
    """``retry_jitter`` 0.2: the 5 s delay becomes 4 s (rng 0.0) to 6 s (rng 1.0)."""
    sink.on("/down", status=500)
    async with engine_rig(settings, store, redis_client, rng=lambda: rng_value) as rig:
        config_id = await rig.add(SenderIntegration)
        the_id = (await rig.send(config_id, sink.url("/down"))).delivery_id
        assert await rig.due_at(the_id) == T0  # 0 s stays 0 s, whatever the jitter
        await rig.next_attempt(the_id)

        due = await rig.due_at(the_id)
        assert due is not None
        assert due - T0 == pytest.approx(delay, abs=0.001)
        record = await rig.record(the_id)
        assert record.next_attempt_at is not None
        assert record.next_attempt_at - T0 == pytest.approx(delay, abs=1e-6)
        assert record.attempts[-1].next_attempt_at == record.next_attempt_at


# -- 2. per-integration schedule -----------------------------------------------------------


async def test_an_integrations_own_schedule_overrides_the_setting(
    rig: Rig, sink: RecordingSink
) -> None:
    """``retry_schedule = (1, 2)``: attempts at t0, +1, +3, then dead after 3."""
    sink.on("/down", status=500)
    config_id = await rig.add(ShortScheduleIntegration)

    the_id = (await rig.send(config_id, sink.url("/down"))).delivery_id
    assert await rig.due_at(the_id) == T0 + 1
    await rig.next_attempt(the_id)
    assert await rig.due_at(the_id) == T0 + 3
    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(the_id)
    assert record.status == "dead"
    assert record.dead_reason == "gave up after 3 attempts"
    assert [a.at for a in record.attempts] == [T0, T0 + 1, T0 + 3]
    assert await rig.due_at(the_id) is None
    assert await rig.is_dead_letter(the_id)
    assert len(sink.at("/down")) == 3


async def test_an_empty_integration_schedule_means_no_retries(
    rig: Rig, sink: RecordingSink
) -> None:
    """``retry_schedule = ()`` (not ``None``): the first failure is final."""
    sink.on("/down", status=500)
    config_id = await rig.add(NoRetriesIntegration)

    result = await rig.send(config_id, sink.url("/down"))

    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(result.delivery_id)
    assert record.status == "dead"
    assert record.dead_reason == "gave up after 1 attempts"


# -- 3. success after failures -------------------------------------------------------------


async def test_success_after_two_failures_is_delivered_with_every_attempt_logged(
    rig: Rig, sink: RecordingSink
) -> None:
    """500, 500, 200: delivered, three attempts with their statuses and errors, off the
    retries; the configuration's recent attempts list them newest first."""
    config_id = await rig.add(SenderIntegration)
    sink.on("/flaky", status=500, body=b"first")
    the_id = (await rig.send(config_id, sink.url("/flaky"))).delivery_id
    sink.on("/flaky", status=500, body=b"second")
    await rig.next_attempt(the_id)
    sink.on("/flaky", status=200, body=b"thanks")
    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert result.attempt == 3
    record = await rig.record(the_id)
    assert record.status == "delivered"
    assert record.dead_reason is None
    assert record.next_attempt_at is None
    assert [(a.status, a.error, a.body) for a in record.attempts] == [
        (500, "HTTP 500", "first"),
        (500, "HTTP 500", "second"),
        (200, None, "thanks"),
    ]
    assert [a.error_class for a in record.attempts] == ["http", "http", None]
    assert await rig.due_at(the_id) is None
    assert not await rig.is_dead_letter(the_id)
    assert await rig.events() == []

    recent = await rig.log.config_attempts(config_id)
    assert [(e["number"], e["status"]) for e in recent] == [(3, 200), (2, 500), (1, 500)]
    assert {e["delivery_id"] for e in recent} == {the_id}
    assert await rig.log.recent_ids(config_id=config_id) == [the_id]


# -- 4. Retry-After ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        pytest.param(lambda: "120", 120.0, id="seconds"),
        pytest.param(lambda: formatdate(T0 + 600, usegmt=True), 600.0, id="http-date"),
        pytest.param(lambda: "99999999", 3600.0, id="capped-at-retry_after_max"),
    ],
)
async def test_retry_after_on_a_503_pushes_the_first_retry_later(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    sink: RecordingSink,
    retry_after: Callable[[], str],
    delay: float,
) -> None:
    """The schedule says now; Retry-After (seconds or a date) says later, up to the cap."""
    capped = settings.model_copy(update={"retry_after_max": 3600.0})
    sink.on("/busy", status=503, headers={"Retry-After": retry_after()})
    async with engine_rig(capped, store, redis_client) as rig:
        config_id = await rig.add(SenderIntegration)
        result = await rig.send(config_id, sink.url("/busy"))

        assert result.outcome is DeliveryOutcome.RETRYING
        assert await rig.due_at(result.delivery_id) == T0 + delay
        rig.clock.now = T0 + delay - 1
        assert await rig.log.claim_due(100) == []


async def test_a_retry_after_shorter_than_the_schedule_never_makes_it_earlier(
    rig: Rig, sink: RecordingSink
) -> None:
    """On the second attempt the schedule says 5 s; ``Retry-After: 1`` keeps it 5 s."""
    config_id = await rig.add(SenderIntegration)
    sink.on("/busy", status=500)
    the_id = (await rig.send(config_id, sink.url("/busy"))).delivery_id
    sink.on("/busy", status=503, headers={"Retry-After": "1"})
    await rig.next_attempt(the_id)

    assert await rig.due_at(the_id) == T0 + 5
    assert (await rig.record(the_id)).attempts[-1].status == 503


@pytest.mark.parametrize(
    ("body", "header", "delay"),
    [
        pytest.param(b"90.5", None, 90.5, id="the-body's-hint"),
        pytest.param(b"90.5", "120", 120.0, id="the-longer-of-the-two"),
        pytest.param(b"broken", "70", 70.0, id="a-broken-hint-is-none"),
        pytest.param(b"99999999", None, 3600.0, id="capped-at-retry_after_max"),
    ],
)
async def test_an_integrations_retry_hint_pushes_a_429_later(
    settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    sink: RecordingSink,
    body: bytes,
    header: str | None,
    delay: float,
) -> None:
    """``Integration.retry_after`` reads the body; the engine waits the longer of it and
    ``Retry-After``, up to the cap, and the 429 uses up no attempt."""
    capped = settings.model_copy(update={"retry_after_max": 3600.0})
    headers = {"Retry-After": header} if header else {}
    sink.on("/limited", status=429, headers=headers, body=body)
    async with engine_rig(capped, store, redis_client) as rig:
        config_id = await rig.add(HintingIntegration)
        result = await rig.send(config_id, sink.url("/limited"))

        assert result.outcome is DeliveryOutcome.RETRYING
        assert await rig.due_at(result.delivery_id) == T0 + delay


# -- 5. slow down: 429 and timeouts --------------------------------------------------------


async def test_429_waits_at_least_a_minute(rig: Rig, sink: RecordingSink) -> None:
    """Too Many Requests on the first attempt: not now, 60 s from now."""
    sink.on("/limited", status=429, headers={"Retry-After": "2"})
    config_id = await rig.add(SenderIntegration)

    result = await rig.send(config_id, sink.url("/limited"))

    assert result.outcome is DeliveryOutcome.RETRYING
    assert await rig.due_at(result.delivery_id) == T0 + 60


async def test_the_integrations_reading_of_the_answer_sets_the_wait(
    rig: Rig, sink: RecordingSink
) -> None:
    """A wait in the body (Matrix's ``retry_after_ms``), read by ``retry_after``: the later
    of it and ``Retry-After`` counts; a hook that raises gives no hint."""
    sink.on("/body", status=429, body=b"wait 90")
    sink.on("/header", status=429, headers={"Retry-After": "120"}, body=b"wait 90")
    sink.on("/broken", status=429, body=b"broken")
    config_id = await rig.add(JudgingIntegration)

    body = await rig.send(config_id, sink.url("/body"))
    header = await rig.send(config_id, sink.url("/header"))
    broken = await rig.send(config_id, sink.url("/broken"))

    assert await rig.due_at(body.delivery_id) == T0 + 90
    assert await rig.due_at(header.delivery_id) == T0 + 120
    assert await rig.due_at(broken.delivery_id) == T0 + 60
    record = await rig.record(body.delivery_id)
    assert (record.status, record.attempts[0].status) == ("retrying", 429)


async def test_a_timeout_waits_at_least_a_minute(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """An endpoint that holds the request past ``http_timeout``: retried in 60 s, not now."""
    sink.on("/hang", gate=asyncio.Event())  # released by the sink on exit
    quick = settings.model_copy(update={"http_timeout": 0.2})
    async with engine_rig(quick, store, redis_client) as rig:
        config_id = await rig.add(SenderIntegration)
        result = await rig.send(config_id, sink.url("/hang"))

        assert result.outcome is DeliveryOutcome.RETRYING
        assert await rig.due_at(result.delivery_id) == T0 + 60
        [attempt] = (await rig.record(result.delivery_id)).attempts
        assert attempt.error_class == "timeout"
        assert attempt.error == "timed out after 0.2 s"
        assert attempt.status is None


# -- 6, 7, 8. 410 Gone, abort-message, redirects ----------------------------------------


async def test_410_gone_is_dead_at_once_and_disables_the_configuration(
    rig: Rig, sink: RecordingSink
) -> None:
    """410: no retry, a dead letter, the configuration disabled in the store, and both
    internal events queued."""
    sink.on("/gone", status=410)
    config_id = await rig.add(SenderIntegration, name="old endpoint")

    result = await rig.send(config_id, sink.url("/gone"))

    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(result.delivery_id)
    assert record.status == "dead"
    assert record.dead_reason == "410 Gone: the configuration was disabled"
    assert await rig.due_at(result.delivery_id) is None
    assert await rig.is_dead_letter(result.delivery_id)
    stored = await rig.store.get(config_id)
    assert stored.enabled is False
    assert stored.disabled_reason == "its endpoint answered 410 Gone"
    [disabled] = await rig.events("switchboard.config.disabled")
    assert disabled["data"] == {
        "config_id": config_id,
        "integration_id": SenderIntegration.integration_id,
        "name": "old endpoint",
        "reason": "its endpoint answered 410 Gone",
    }
    assert len(await rig.events("switchboard.delivery.exhausted")) == 1
    assert not await rig.health_exists(config_id)
    await wait_for(lambda: not rig.config(config_id).enabled, what="the cache to see it")


async def test_abort_message_is_dead_at_once_and_the_configuration_stays_enabled(
    rig: Rig, sink: RecordingSink
) -> None:
    """``webhook-delivery: abort-message``: the receiver refuses this one message only."""
    sink.on("/refuse", status=500, headers={"webhook-delivery": "Abort-Message"})
    config_id = await rig.add(SenderIntegration)

    result = await rig.send(config_id, sink.url("/refuse"))

    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(result.delivery_id)
    assert record.status == "dead"
    assert record.dead_reason == "the receiver answered webhook-delivery: abort-message"
    assert await rig.due_at(result.delivery_id) is None
    assert await rig.is_dead_letter(result.delivery_id)
    assert (await rig.store.get(config_id)).enabled is True
    assert await rig.events("switchboard.config.disabled") == []


async def test_a_redirect_is_a_failure_that_is_retried_not_followed(
    rig: Rig, sink: RecordingSink
) -> None:
    """302: retrying on the schedule; nothing ever reaches the Location."""
    sink.on("/moved", status=302, headers={"Location": sink.url("/elsewhere")})
    config_id = await rig.add(SenderIntegration)

    result = await rig.send(config_id, sink.url("/moved"))
    assert result.outcome is DeliveryOutcome.RETRYING
    assert await rig.due_at(result.delivery_id) == T0
    second = await rig.next_attempt(result.delivery_id)

    assert second is not None
    assert second.outcome is DeliveryOutcome.RETRYING
    assert await rig.due_at(result.delivery_id) == T0 + 5
    record = await rig.record(result.delivery_id)
    assert [(a.status, a.error) for a in record.attempts] == [(302, "HTTP 302")] * 2
    assert len(sink.at("/moved")) == 2
    assert sink.at("/elsewhere") == []


# -- 9. the integration's verdict ----------------------------------------------------------


async def test_a_permanent_verdict_is_dead_at_once(rig: Rig, sink: RecordingSink) -> None:
    """404 "no_service" judged PERMANENT: dead; a plain 404 keeps the default (retry)."""
    sink.on("/revoked", status=404, body=b"no_service")
    sink.on("/missing", status=404, body=b"not here")
    config_id = await rig.add(JudgingIntegration)

    revoked = await rig.send(config_id, sink.url("/revoked"))
    missing = await rig.send(config_id, sink.url("/missing"))

    assert revoked.outcome is DeliveryOutcome.FAILED
    record = await rig.record(revoked.delivery_id)
    assert record.status == "dead"
    assert record.dead_reason == "permanent failure: HTTP 404"
    assert await rig.is_dead_letter(revoked.delivery_id)
    assert await rig.due_at(revoked.delivery_id) is None
    assert (await rig.store.get(config_id)).enabled is True

    assert missing.outcome is DeliveryOutcome.RETRYING
    assert (await rig.record(missing.delivery_id)).status == "retrying"


async def test_a_delivered_verdict_counts_as_delivered(rig: Rig, sink: RecordingSink) -> None:
    """202 with an error body and 409 "duplicate", both judged DELIVERED: delivered, not
    retried (the 409 would be retried by the default rules)."""
    sink.on("/accepted", status=202, body=b'{"error":"queued"}')
    sink.on("/dup", status=409, body=b"duplicate")
    config_id = await rig.add(JudgingIntegration)

    accepted = await rig.send(config_id, sink.url("/accepted"))
    duplicate = await rig.send(config_id, sink.url("/dup"))

    for result in (accepted, duplicate):
        assert result.outcome is DeliveryOutcome.DELIVERED
        assert (await rig.record(result.delivery_id)).status == "delivered"
        assert await rig.due_at(result.delivery_id) is None
        assert not await rig.is_dead_letter(result.delivery_id)


async def test_a_retry_verdict_on_a_2xx_is_retried(rig: Rig, sink: RecordingSink) -> None:
    """200 ``{"ok":false}`` judged RETRY: scheduled like a failure."""
    sink.on("/nok", status=200, body=b'{"ok":false}')
    config_id = await rig.add(JudgingIntegration)

    result = await rig.send(config_id, sink.url("/nok"))

    assert result.outcome is DeliveryOutcome.RETRYING
    assert (await rig.record(result.delivery_id)).status == "retrying"
    assert await rig.due_at(result.delivery_id) == T0


# -- 10. endpoint health -------------------------------------------------------------------


@pytest.fixture
def health_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"health_min_failures": 3, "health_disable_after": 3600.0})


async def test_failing_for_over_an_hour_disables_the_configuration(
    health_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """Failures at t0, +30 min, +59:59 leave it enabled; one at +1 h disables it, queues
    config.disabled and clears the health."""
    sink.on("/down", status=500)
    async with engine_rig(health_settings, store, redis_client) as rig:
        config_id = await rig.add(SenderIntegration, name="flaky")
        for offset in (0, 1800, 3599):
            rig.clock.now = T0 + offset
            await rig.send(config_id, sink.url("/down"))
            assert (await rig.store.get(config_id)).enabled is True, offset
        health = await rig.redis.hgetall(rig.keys.config_health(config_id))
        assert int(health[b"failures"]) == 3
        assert float(health[b"failing_since"]) == T0

        rig.clock.now = T0 + 3600
        await rig.send(config_id, sink.url("/down"))

        stored = await rig.store.get(config_id)
        assert stored.enabled is False
        [disabled] = await rig.events("switchboard.config.disabled")
        assert disabled["data"]["config_id"] == config_id
        assert "4 failed attempts" in disabled["data"]["reason"]
        assert stored.disabled_reason == disabled["data"]["reason"]
        assert not await rig.health_exists(config_id)


async def test_too_few_failures_do_not_disable_however_long_they_span(
    health_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """Two failures two hours apart: over the hour, under ``health_min_failures`` (3): still
    enabled; the third disables it."""
    sink.on("/down", status=500)
    async with engine_rig(health_settings, store, redis_client) as rig:
        config_id = await rig.add(SenderIntegration)
        for offset in (0, 7200):
            rig.clock.now = T0 + offset
            await rig.send(config_id, sink.url("/down"))
        assert (await rig.store.get(config_id)).enabled is True
        assert await rig.events("switchboard.config.disabled") == []

        rig.clock.now = T0 + 7201
        await rig.send(config_id, sink.url("/down"))

        assert (await rig.store.get(config_id)).enabled is False
        assert len(await rig.events("switchboard.config.disabled")) == 1


async def test_a_success_resets_the_health(
    health_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """A failure at t0, a success at +30 min (health gone), failures from +1 h to +1.5 h:
    failing for 30 min only, so still enabled."""
    async with engine_rig(health_settings, store, redis_client) as rig:
        config_id = await rig.add(SenderIntegration)
        sink.on("/ep", status=500)
        await rig.send(config_id, sink.url("/ep"))
        assert await rig.health_exists(config_id)

        rig.clock.now = T0 + 1800
        sink.on("/ep", status=200)
        await rig.send(config_id, sink.url("/ep"))
        assert not await rig.health_exists(config_id)

        sink.on("/ep", status=500)
        for offset in (3600, 3700, 5400):
            rig.clock.now = T0 + offset
            await rig.send(config_id, sink.url("/ep"))

        health = await rig.redis.hgetall(rig.keys.config_health(config_id))
        assert float(health[b"failing_since"]) == T0 + 3600
        assert int(health[b"failures"]) == 3
        assert (await rig.store.get(config_id)).enabled is True
        assert await rig.events("switchboard.config.disabled") == []


async def test_deliveries_judged_delivered_never_disable_the_configuration(
    health_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """409 "duplicate" judged DELIVERED at t0, +30 min, +1 h: every one delivered, so the
    endpoint is healthy and stays enabled."""
    sink.on("/dup", status=409, body=b"duplicate")
    async with engine_rig(health_settings, store, redis_client) as rig:
        config_id = await rig.add(JudgingIntegration)
        for offset in (0, 1800, 3600):
            rig.clock.now = T0 + offset
            result = await rig.send(config_id, sink.url("/dup"))
            assert result.outcome is DeliveryOutcome.DELIVERED

        assert (await rig.store.get(config_id)).enabled is True
        assert await rig.events("switchboard.config.disabled") == []
        assert not await rig.health_exists(config_id)


# -- 11. manual replay ---------------------------------------------------------------------


async def _dead_letter(rig: Rig, sink: RecordingSink, path: str) -> tuple[str, str]:
    """A configuration and a delivery of it that is a dead letter (the receiver aborted)."""
    sink.on(path, status=500, headers={"webhook-delivery": "abort-message"})
    config_id = await rig.add(SenderIntegration)
    result = await rig.send(config_id, sink.url(path))
    assert (await rig.record(result.delivery_id)).status == "dead"
    return config_id, result.delivery_id


async def test_a_replayed_dead_letter_gets_one_manual_attempt_with_the_same_id(
    rig: Rig, sink: RecordingSink
) -> None:
    """``replay()``: due now, claimed, sent once more with the same webhook-id, marked
    manual; delivered this time."""
    _, the_id = await _dead_letter(rig, sink, "/r")
    sink.on("/r", status=200)
    rig.clock.advance(3600)

    assert await rig.log.replay([the_id]) == [the_id]
    pending = await rig.record(the_id)
    assert pending.status == "retrying"
    assert pending.replay_pending is True
    assert await rig.due_at(the_id) == T0 + 3600
    assert not await rig.is_dead_letter(the_id)
    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert result.delivery_id == the_id
    record = await rig.record(the_id)
    assert record.status == "delivered"
    assert record.replay_pending is False
    assert [(a.number, a.manual) for a in record.attempts] == [(1, False), (2, True)]
    assert [header(r, "webhook-id") for r in sink.at("/r")] == [the_id, the_id]
    assert await rig.due_at(the_id) is None
    assert not await rig.is_dead_letter(the_id)


async def test_a_replay_that_fails_again_goes_back_to_the_dead_letters(
    rig: Rig, sink: RecordingSink
) -> None:
    """A failed manual attempt is dead again, not put back on the schedule."""
    _, the_id = await _dead_letter(rig, sink, "/r")
    sink.on("/r", status=500)

    assert await rig.log.replay([the_id]) == [the_id]
    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(the_id)
    assert record.status == "dead"
    assert record.dead_reason == "manual replay failed: HTTP 500"
    assert record.next_attempt_at is None
    assert record.attempts[-1].manual is True
    assert len(record.attempts) == 2
    assert await rig.due_at(the_id) is None
    assert await rig.is_dead_letter(the_id)
    rig.clock.advance(10 * 86400)
    assert await rig.log.claim_due(100) == []
    assert len(sink.at("/r")) == 2


async def test_a_failed_replay_attempt_announces_no_next_attempt(
    rig: Rig, sink: RecordingSink
) -> None:
    """The failed manual attempt's own record says no next attempt."""
    config_id, the_id = await _dead_letter(rig, sink, "/r")
    sink.on("/r", status=500)
    await rig.log.replay([the_id])
    await rig.next_attempt(the_id)

    assert (await rig.record(the_id)).attempts[-1].next_attempt_at is None
    assert (await rig.log.config_attempts(config_id))[0]["next_attempt_at"] is None


async def test_replaying_a_delivery_that_is_not_dead_does_nothing(
    rig: Rig, sink: RecordingSink
) -> None:
    """Delivered or still retrying: ``replay()`` skips it and changes nothing."""
    sink.on("/ok", status=200)
    sink.on("/down", status=500)
    config_id = await rig.add(SenderIntegration)
    delivered = (await rig.send(config_id, sink.url("/ok"))).delivery_id
    retrying = (await rig.send(config_id, sink.url("/down"))).delivery_id
    before = await rig.redis.get(rig.keys.delivery(delivered))
    rig.clock.advance(10)

    assert await rig.log.replay([delivered, retrying, "dlv_unknown"]) == []

    assert await rig.redis.get(rig.keys.delivery(delivered)) == before
    assert await rig.due_at(delivered) is None
    assert (await rig.record(retrying)).replay_pending is False
    assert await rig.due_at(retrying) == T0


# -- 12. the configuration went away -------------------------------------------------------


@pytest.mark.parametrize("change", ["deleted", "disabled"])
async def test_a_retry_for_a_configuration_gone_meanwhile_is_dead(
    rig: Rig, sink: RecordingSink, change: str
) -> None:
    """Deleted or disabled between attempts: the retry sends nothing and is a dead letter
    saying why."""
    sink.on("/down", status=500)
    config_id = await rig.add(SenderIntegration)
    the_id = (await rig.send(config_id, sink.url("/down"))).delivery_id
    if change == "deleted":
        await rig.store.delete(config_id)
        await wait_for(lambda: rig.manager.get_config(config_id) is None, what="the deletion")
    else:
        await rig.store.update(config_id, lambda record: {"enabled": False})
        await wait_for(lambda: not rig.config(config_id).enabled, what="the disabling")

    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.FAILED
    record = await rig.record(the_id)
    assert record.status == "dead"
    assert record.dead_reason == f"permanent failure: the configuration was {change}"
    assert record.attempts[-1].error_class == "gone"
    assert await rig.due_at(the_id) is None
    assert await rig.is_dead_letter(the_id)
    assert len(sink.at("/down")) == 1
    [exhausted] = await rig.events("switchboard.delivery.exhausted")
    assert exhausted["data"]["delivery_id"] == the_id


# -- 13. RERUN -----------------------------------------------------------------------------


async def test_a_rerun_job_answers_from_the_record_instead_of_sending_again(
    rig: Rig, sink: RecordingSink
) -> None:
    """With ``RERUN`` set, the same (event, configuration) already delivered is not sent
    again: the record's DELIVERED answers. Without it, a new attempt is made."""
    sink.on("/ok", status=200, body=b"got it")
    config_id = await rig.add(SenderIntegration)
    event = Event(type="review.published", data={"review_id": 3})
    first = await rig.send(config_id, sink.url("/ok"), event)
    assert first.outcome is DeliveryOutcome.DELIVERED

    token = CURRENT_DISPATCH.set(DispatchContext(rerun=True))
    try:
        again = await rig.send(config_id, sink.url("/ok"), event)
    finally:
        CURRENT_DISPATCH.reset(token)

    assert len(sink.at("/ok")) == 1
    assert again.outcome is DeliveryOutcome.DELIVERED
    assert again.delivery_id == first.delivery_id
    assert again.attempt == 1
    assert again.response is not None
    assert again.response.status == 200
    assert again.response.body == b"got it"
    assert len((await rig.record(first.delivery_id)).attempts) == 1

    third = await rig.send(config_id, sink.url("/ok"), event)
    assert third.delivery_id == first.delivery_id
    assert len(sink.at("/ok")) == 2


async def test_a_rerun_with_no_record_sends(rig: Rig, sink: RecordingSink) -> None:
    """``RERUN`` for a delivery never recorded (the job died before it): it is sent."""
    sink.on("/ok", status=200)
    config_id = await rig.add(SenderIntegration)

    token = CURRENT_DISPATCH.set(DispatchContext(rerun=True))
    try:
        result = await rig.send(config_id, sink.url("/ok"))
    finally:
        CURRENT_DISPATCH.reset(token)

    assert result.outcome is DeliveryOutcome.DELIVERED
    assert len(sink.at("/ok")) == 1


# -- 14. secrets at rest -------------------------------------------------------------------


async def test_the_stored_request_is_encrypted_and_the_retry_sends_it_intact(
    rig: Rig, sink: RecordingSink
) -> None:
    """The webhook handler's request (secret URL path, Authorization header) is stored
    encrypted; the retry decrypts it and sends the same request."""
    path = "/hooks/p4th-s3cret-x9"
    token = "Bearer t0ken-s3cret-q7"
    record = await add_webhook(
        rig.store, "hook", sink.url(path), settings={"headers": {"Authorization": token}}
    )
    await rig.has_config(record.id)
    sink.on(path, status=500)
    event = Event(type="review.published", data={"review_id": 9})

    webhook = rig.manager.get_integration(WebhookIntegration.integration_id)
    assert isinstance(webhook, WebhookIntegration)
    await webhook.on_event(event)

    the_id = delivery_id(event.id, record.id)
    raw = await rig.redis.get(rig.keys.delivery(the_id))
    assert raw is not None
    assert b"p4th-s3cret" not in raw
    assert b"t0ken-s3cret" not in raw
    stored = await rig.record(the_id)
    assert isinstance(stored.request, dict)
    assert set(stored.request) == {"method", "body", "key", "endpoint"}  # no URL, no headers
    assert is_encrypted(stored.request["endpoint"])
    opened = stored.open_request(SecretBox.from_settings(rig.settings))
    assert opened.url == sink.url(path)
    assert opened.headers["Authorization"] == token
    for entry in await rig.redis.lrange(rig.keys.config_attempts(record.id), 0, -1):
        assert b"s3cret" not in entry

    sink.on(path, status=200)
    result = await rig.next_attempt(the_id)

    assert result is not None
    assert result.outcome is DeliveryOutcome.DELIVERED
    first, second = sink.at(path)
    assert header(second, "authorization") == token
    assert second.body == first.body
    assert second.json["id"] == event.id
    assert header(second, "webhook-id") == header(first, "webhook-id") == the_id


# -- 15. the RetryLane, in real time ------------------------------------------------


async def test_the_retry_scheduler_retries_until_delivered(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """A real clock and a 0 s, 0.2 s schedule: the scheduler claims the due retries and the
    third attempt is delivered; then it stops when told."""
    fast = settings.model_copy(update={"retry_schedule": (0, 0.2)})
    sink.script("/flaky", 500, 500, 200)
    async with engine_rig(fast, store, redis_client, real_time=True) as rig:
        config_id = await rig.add(SenderIntegration)
        first = await rig.send(config_id, sink.url("/flaky"))
        assert first.outcome is DeliveryOutcome.RETRYING
        the_id = first.delivery_id

        scheduler = RetryLane(rig.engine, rig.log, RetryTuning(concurrency=4))
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        try:

            async def delivered() -> bool:
                record = await rig.log.get(the_id)
                return record is not None and record.status == "delivered"

            await wait_for_async(delivered, timeout=5, what="the delivery")
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=DEFAULT_TIMEOUT)
            await scheduler.drain(1.0)

        assert task.done()
        assert task.exception() is None
        record = await rig.record(the_id)
        assert [a.status for a in record.attempts] == [500, 500, 200]
        assert record.attempts[2].at - record.attempts[1].at >= 0.199  # due in whole ms
        assert await rig.due_at(the_id) is None
        received = sink.at("/flaky")
        assert len(received) == 3
        assert {header(r, "webhook-id") for r in received} == {the_id}


# -- review fixes: what a receiver or an operator can throw at the engine -------------------


@pytest.mark.parametrize(
    "retry_after", ["\u00b2", "\u2460", "Wed, 01 Jan 99999999999 00:00:00 GMT", "soon", ""]
)
async def test_a_malformed_retry_after_is_ignored_not_fatal(
    rig: Rig, sink: RecordingSink, retry_after: str
) -> None:
    """Any header a receiver sends leaves the schedule as it is (no crash, no lost record)."""
    sink.on("/odd", status=503, headers={"Retry-After": retry_after})
    config_id = await rig.add(SenderIntegration)
    result = await rig.send(config_id, sink.url("/odd"))
    assert result.outcome is DeliveryOutcome.RETRYING
    assert await rig.due_at(result.delivery_id) == rig.clock.now  # the schedule's "immediately"


async def test_a_retry_follows_the_webhooks_current_url(rig: Rig, sink: RecordingSink) -> None:
    """Fixing a webhook's URL fixes its pending deliveries too (refresh_request)."""
    record = await add_webhook(rig.store, "hook", sink.url("/old"))
    await rig.has_config(record.id)
    sink.on("/old", status=500)
    event = Event(type="review.published")
    webhook = rig.manager.get_integration(WebhookIntegration.integration_id)
    assert isinstance(webhook, WebhookIntegration)
    await webhook.on_event(event)
    admin = ConfigAdmin(rig.manager, rig.store)
    await admin.update(record.id, settings={"url": sink.url("/new")})
    await wait_for(lambda: rig.config(record.id).get("url") == sink.url("/new"), what="the edit")
    result = await rig.next_attempt(delivery_id(event.id, record.id))
    assert result is not None
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert [r.json["id"] for r in sink.at("/new")] == [event.id]
    assert len(sink.at("/old")) == 1


async def test_a_retry_for_a_configuration_this_worker_does_not_know_is_handed_back(
    rig: Rig, sink: RecordingSink
) -> None:
    """A rolling deploy: the integration is not installed here; the store still has the
    configuration enabled. Not a dead letter: another worker (or this one, later) sends it."""
    sink.on("/x", status=500)
    config_id = await rig.add(SenderIntegration)
    first = await rig.send(config_id, sink.url("/x"))
    rig.manager.unregister(SenderIntegration)
    try:
        rig.clock.now += 1
        assert await rig.log.claim_due(10) == [first.delivery_id]
        await rig.engine.retry(first.delivery_id)
        record = await rig.record(first.delivery_id)
        assert record.status == "retrying"
        assert len(record.attempts) == 1  # the hand-back is no attempt
        assert await rig.due_at(first.delivery_id) == rig.clock.now + UNKNOWN_CONFIG_DELAY
    finally:
        rig.manager.register(SenderIntegration)


async def test_a_record_lives_until_its_retry_however_far(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """A Retry-After beyond the retention keeps the record until then (and the retention)."""
    short = settings.model_copy(update={"delivery_retention": 3600.0, "retry_after_max": 86400.0})
    async with engine_rig(short, store, redis_client) as rig:
        sink.on("/later", status=503, headers={"Retry-After": "36000"})
        config_id = await rig.add(SenderIntegration)
        result = await rig.send(config_id, sink.url("/later"))
        ttl = await redis_client.ttl(rig.keys.delivery(result.delivery_id))
    assert 36000 + 3600 - 5 <= ttl <= 36000 + 3600


async def test_a_slow_first_attempt_finishes_in_the_background(
    rig: Rig, sink: RecordingSink
) -> None:
    """Past INLINE_ATTEMPT_BUDGET the handler (and its job) goes on; the attempt is recorded
    when it ends, and a safety-net retry a lease away, held by this worker while the
    attempt lasts, covers a worker dying before that."""
    gate = sink.on("/slow", gate=asyncio.Event()).gate
    assert gate is not None
    config_id = await rig.add(SenderIntegration)
    started = time.monotonic()
    result = await rig.send(config_id, sink.url("/slow"))
    assert time.monotonic() - started < INLINE_ATTEMPT_BUDGET + 1
    assert result.outcome is DeliveryOutcome.RETRYING
    assert result.attempt == 0
    net = rig.clock.now + rig.settings.lease
    assert await rig.due_at(result.delivery_id) == pytest.approx(net, abs=0.01)
    assert (await rig.record(result.delivery_id)).waiting_for == "attempt in progress"
    assert rig.engine.leases.held == 1
    gate.set()

    async def delivered() -> bool:
        return (await rig.record(result.delivery_id)).status == "delivered"

    await wait_for_async(delivered, what="the background attempt to be recorded")
    assert await rig.due_at(result.delivery_id) is None
    assert len((await rig.record(result.delivery_id)).attempts) == 1
    assert rig.engine.leases.held == 0  # let go once recorded


# -- 16. circuit breakers ------------------------------------------------------------------


@pytest.fixture
def breaker_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"circuit_breaker_failures": 3, "circuit_breaker_cooldown": 10.0}
    )


async def _retry_when_due(rig: Rig, the_id: str) -> DeliveryResult | None:
    """``next_attempt`` without the claim: the deliveries that opened it are due too."""
    due = await rig.due_at(the_id)
    assert due is not None
    rig.clock.now = due
    return await rig.engine.retry(the_id)


async def _open_circuit(rig: Rig, sink: RecordingSink) -> tuple[str, DeliveryResult]:
    """Three deliveries answered 500 open the circuit; the fourth waits: returned."""
    sink.on("/down", status=500)
    config_id = await rig.add(SenderIntegration)
    for _ in range(3):
        assert (await rig.send(config_id, sink.url("/down"))).attempt == 1
    waiting = await rig.send(config_id, sink.url("/down"))
    return config_id, waiting


async def test_a_down_endpoint_opens_the_circuit_and_deliveries_wait_without_an_attempt(
    breaker_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    async with engine_rig(breaker_settings, store, redis_client) as rig:
        _, waiting = await _open_circuit(rig, sink)
        assert len(sink.at("/down")) == 3
        assert waiting.outcome is DeliveryOutcome.RETRYING
        assert waiting.attempt == 0
        record = await rig.record(waiting.delivery_id)
        assert (record.status, record.attempts) == ("retrying", ())
        assert record.waiting_for == "circuit open"
        # The cooldown, with the rng's jitter (0.5 of 20%).
        assert await rig.due_at(waiting.delivery_id) == pytest.approx(T0 + 11.0)
        # Another configuration on the same host is not held back.
        other = await rig.add(SenderIntegration, name="healthy")
        sink.on("/up", status=200)
        assert (await rig.send(other, sink.url("/up"))).outcome is DeliveryOutcome.DELIVERED


async def test_a_probe_that_gets_through_closes_the_circuit(
    breaker_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    async with engine_rig(breaker_settings, store, redis_client) as rig:
        config_id, waiting = await _open_circuit(rig, sink)
        sink.on("/down", status=200)
        probe = await _retry_when_due(rig, waiting.delivery_id)
        assert probe is not None
        assert (probe.outcome, probe.attempt) == (DeliveryOutcome.DELIVERED, 1)
        assert (await rig.record(waiting.delivery_id)).waiting_for is None
        after = await rig.send(config_id, sink.url("/down"))
        assert (after.outcome, after.attempt) == (DeliveryOutcome.DELIVERED, 1)


async def test_while_the_probe_is_out_the_others_wait(
    breaker_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    async with engine_rig(breaker_settings, store, redis_client) as rig:
        config_id, _ = await _open_circuit(rig, sink)
        rig.clock.advance(10)
        gate = sink.on("/down", gate=asyncio.Event()).gate
        assert gate is not None
        probe = asyncio.create_task(rig.send(config_id, sink.url("/down")))
        await wait_for(lambda: sink.arrived == 4, what="the probe at the endpoint")
        waiting = await rig.send(config_id, sink.url("/down"))
        assert waiting.attempt == 0
        gate.set()
        await probe


async def test_a_failed_probe_opens_the_circuit_for_twice_as_long(
    breaker_settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    async with engine_rig(breaker_settings, store, redis_client) as rig:
        config_id, waiting = await _open_circuit(rig, sink)
        probe = await _retry_when_due(rig, waiting.delivery_id)
        assert probe is not None
        assert (probe.outcome, probe.attempt) == (DeliveryOutcome.RETRYING, 1)
        assert len(sink.at("/down")) == 4
        again = await rig.send(config_id, sink.url("/down"))
        assert again.attempt == 0
        assert await rig.due_at(again.delivery_id) == pytest.approx(rig.clock.now + 22.0)


@pytest.mark.parametrize(
    ("failures", "status"),
    [
        (3, 400),  # the endpoint answering (about the request): it is up
        (0, 500),  # circuit breakers off
    ],
)
async def test_the_circuit_stays_closed(
    breaker_settings: Settings,
    store: ConfigStore,
    redis_client: Redis,
    sink: RecordingSink,
    failures: int,
    status: int,
) -> None:
    settings = breaker_settings.model_copy(update={"circuit_breaker_failures": failures})
    async with engine_rig(settings, store, redis_client) as rig:
        sink.on("/ep", status=status)
        config_id = await rig.add(SenderIntegration)
        for _ in range(5):
            assert (await rig.send(config_id, sink.url("/ep"))).attempt == 1
        assert len(sink.at("/ep")) == 5


async def test_a_first_attempt_whose_caller_is_cancelled_is_recorded_in_the_background(
    rig: Rig, sink: RecordingSink
) -> None:
    """Cancelled (its handler ran out of time, or its job is stopping) while its request is
    out, the send leaves the attempt to end in the background: first the safety net (a
    retry, should this worker die), then the attempt's own record. A handler that timed out
    is not run again, so nothing else would ever send or record it."""
    gate = asyncio.Event()
    sink.on("/slow", gate=gate)
    config_id = await rig.add(SenderIntegration)
    event = Event(type="review.published", data={"review_id": 1})
    send = asyncio.create_task(rig.send(config_id, sink.url("/slow"), event))
    await wait_for(lambda: sink.arrived == 1, what="the request at the endpoint")
    send.cancel()
    with pytest.raises(asyncio.CancelledError):
        await send
    the_id = delivery_id(event.id, config_id)

    async def safety_net() -> DeliveryRecord | None:
        record = await rig.log.get(the_id)
        return record if record is not None and record.waiting_for is not None else None

    scheduled = await wait_for_async(safety_net, what="the safety net")
    assert (scheduled.status, scheduled.waiting_for) == (
        DeliveryStatus.RETRYING,
        WaitReason.ATTEMPT_IN_PROGRESS,
    )
    assert rig.engine.in_background == 1
    gate.set()

    async def delivered() -> DeliveryRecord | None:
        record = await rig.log.get(the_id)
        return record if record is not None and record.status is DeliveryStatus.DELIVERED else None

    record = await wait_for_async(delivered, what="the attempt's record")
    assert [a.status for a in record.attempts] == [200]
    assert await rig.due_at(the_id) is None  # the safety net is taken down
    assert len(sink.at("/slow")) == 1


async def test_a_delivery_cancelled_before_it_was_sent_is_scheduled_at_once(
    settings: Settings, store: ConfigStore, redis_client: Redis, sink: RecordingSink
) -> None:
    """Cancelled while it waits for admission (a backlog ahead of it), a delivery is neither
    sent nor lost: it is recorded as due now, for the retry lane, saying why."""
    one_connection = settings.model_copy(update={"http_max_connections": 1})
    async with engine_rig(one_connection, store, redis_client) as rig:
        gate = asyncio.Event()
        sink.on("/slow", gate=gate)
        config_id = await rig.add(SenderIntegration)
        ahead = [
            asyncio.create_task(rig.send(config_id, sink.url("/slow"))) for _ in range(2)
        ]  # both admission slots (2 a connection), one on the wire
        await wait_for(lambda: sink.arrived == 1, what="the first request at the endpoint")
        event = Event(type="review.published", data={"review_id": 2})
        waiting = asyncio.create_task(rig.send(config_id, sink.url("/slow"), event))
        for _ in range(3):
            await asyncio.sleep(0)  # scheduling steps: let it reach the admission's queue
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        the_id = delivery_id(event.id, config_id)
        record = await wait_for_async(lambda: rig.log.get(the_id), what="its record")
        assert (record.status, record.waiting_for, record.attempts) == (
            DeliveryStatus.RETRYING,
            WaitReason.INTERRUPTED,
            (),
        )
        assert await rig.due_at(the_id) == T0  # at once
        gate.set()
        await asyncio.gather(*ahead)
