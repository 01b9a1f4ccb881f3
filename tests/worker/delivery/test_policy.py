"""``policy.decide`` and ``policy.endpoint_state`` as the pure functions they are: no Redis,
no HTTP, no clock; the exchanges are built as the transport builds them (``transport.py``).

The rules are tested in the order of the module's docstring, then what each decision says of
the endpoint (its state, for the circuit) and of the configuration's health.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from switchboard.integrations import DeliveryResponse, Verdict
from switchboard.worker.delivery.exchange import Exchange
from switchboard.worker.delivery.policy import (
    MAX_THROTTLED,
    Decision,
    EndpointState,
    decide,
    endpoint_state,
    retry_after_seconds,
)
from switchboard.worker.delivery.tuning import RetryTuning
from switchboard.worker.delivery.vocabulary import DeliveryStatus, ErrorClass, HealthChange

#: A moment, in seconds since the epoch, as the engine's clock gives it.
NOW = 1_800_000_000.0
SCHEDULE = (0.0, 5.0, 300.0, 1800.0)
TUNING = RetryTuning(schedule=SCHEDULE, jitter=0.2, retry_after_max=3600.0, slow_down=60.0)


def answered(status: int, headers: Mapping[str, str] | None = None) -> Exchange:
    """An answer, as the transport reports it: anything but 2xx carries an error."""
    # aiohttp's headers are case-insensitive; so are these.
    response = DeliveryResponse(status, CIMultiDictProxy(CIMultiDict(headers or {})), b"")
    if 200 <= status < 300:
        return Exchange(host="example.com", response=response, duration=0.01)
    return Exchange(
        host="example.com",
        response=response,
        error=f"HTTP {status}",
        error_class=ErrorClass.HTTP,
        duration=0.01,
    )


def failed(error_class: ErrorClass, *, permanent: bool = False) -> Exchange:
    """No answer: how the attempt failed."""
    return Exchange(
        host="example.com",
        error=f"{error_class} error",
        error_class=error_class,
        permanent=permanent,
    )


def decision(
    exchange: Exchange,
    attempt: int = 1,
    *,
    verdict: Verdict | None = None,
    schedule: tuple[float, ...] = SCHEDULE,
    tuning: RetryTuning = TUNING,
    manual_replay: bool = False,
    rng: float = 0.5,
) -> Decision:
    return decide(
        exchange,
        attempt,
        verdict=verdict,
        schedule=schedule,
        tuning=tuning,
        now=NOW,
        manual_replay=manual_replay,
        rng=lambda: rng,
    )


def http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


# -- 1. the integration's verdict --------------------------------------------------------


def test_a_delivered_verdict_wins_over_the_status() -> None:
    made = decision(answered(500), verdict=Verdict.DELIVERED)
    assert made.status is DeliveryStatus.DELIVERED
    assert made.health is HealthChange.CLEAR
    assert made.delay is None
    assert made.reason is None


def test_a_permanent_verdict_is_a_dead_letter_at_once_even_for_a_2xx() -> None:
    made = decision(answered(200), verdict=Verdict.PERMANENT)
    assert made.status is DeliveryStatus.DEAD
    assert made.reason == "permanent failure: as judged"
    assert made.disable_reason is None
    made = decision(answered(403), verdict=Verdict.PERMANENT)
    assert made.reason == "permanent failure: HTTP 403"


def test_a_retry_verdict_retries_a_2xx_and_a_410_alike() -> None:
    for status in (200, 410):
        made = decision(answered(status), attempt=2, verdict=Verdict.RETRY)
        assert made.status is DeliveryStatus.RETRYING
        assert made.delay == 5.0
        assert made.disable_reason is None  # 410 disables only without a verdict


# -- 2. 2xx: delivered; 3xx is not ----------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_is_delivered(status: int) -> None:
    made = decision(answered(status))
    assert made == Decision(
        status=DeliveryStatus.DELIVERED, endpoint=EndpointState.UP, health=HealthChange.CLEAR
    )


@pytest.mark.parametrize("status", [301, 302, 304, 307, 308])
def test_a_redirect_is_a_failure_retried(status: int) -> None:
    made = decision(answered(status))
    assert made.status is DeliveryStatus.RETRYING
    assert made.endpoint is EndpointState.UP
    assert made.health is HealthChange.FAILURE


# -- 3. webhook-delivery: abort-message ---------------------------------------------------


@pytest.mark.parametrize("value", ["abort-message", " Abort-Message ", "ABORT-MESSAGE"])
def test_the_receiver_can_abort_the_delivery(value: str) -> None:
    made = decision(answered(500, {"Webhook-Delivery": value}))
    assert made.status is DeliveryStatus.DEAD
    assert made.reason == "the receiver answered webhook-delivery: abort-message"
    assert made.disable_reason is None
    # It comes before a verdict to retry, after one that says it was delivered.
    abort = {"webhook-delivery": value}
    assert decision(answered(500, abort), verdict=Verdict.RETRY).status is DeliveryStatus.DEAD
    delivered = decision(answered(200, abort), verdict=Verdict.DELIVERED)
    assert delivered.status is DeliveryStatus.DELIVERED


def test_another_webhook_delivery_value_is_no_abort() -> None:
    made = decision(answered(500, {"webhook-delivery": "abort"}))
    assert made.status is DeliveryStatus.RETRYING


# -- 4. 410 Gone ---------------------------------------------------------------------------


def test_410_is_a_dead_letter_that_disables_the_configuration() -> None:
    made = decision(answered(410))
    assert made == Decision(
        status=DeliveryStatus.DEAD,
        reason="410 Gone: the configuration was disabled",
        disable_reason="its endpoint answered 410 Gone",
        endpoint=EndpointState.UP,
        health=HealthChange.FAILURE,
    )


def test_410_disables_even_on_a_manual_replay_and_past_the_schedule() -> None:
    for made in (
        decision(answered(410), manual_replay=True),
        decision(answered(410), attempt=len(SCHEDULE) + 1),
    ):
        assert made.disable_reason == "its endpoint answered 410 Gone"


# -- 5. a permanent failure ---------------------------------------------------------------


@pytest.mark.parametrize("error_class", [ErrorClass.BLOCKED, ErrorClass.INVALID_URL])
def test_a_permanent_failure_is_a_dead_letter_at_once(error_class: ErrorClass) -> None:
    made = decision(failed(error_class, permanent=True))
    assert made == Decision(
        status=DeliveryStatus.DEAD,
        reason=f"permanent failure: {error_class} error",
        endpoint=EndpointState.UNKNOWN,
        health=HealthChange.FAILURE,
    )


def test_a_verdict_overrides_a_permanent_flag() -> None:
    """Rule 5 applies only without a verdict (the integration judged the answer)."""
    exchange = Exchange(
        host="example.com",
        response=answered(500).response,
        error="HTTP 500",
        error_class=ErrorClass.HTTP,
        permanent=True,
    )
    assert decision(exchange, verdict=Verdict.RETRY).status is DeliveryStatus.RETRYING
    assert decision(exchange).status is DeliveryStatus.DEAD


# -- 6. past the end of the schedule ------------------------------------------------------


def test_the_last_scheduled_retry_then_a_dead_letter() -> None:
    last = decision(answered(500), attempt=len(SCHEDULE))
    assert last.status is DeliveryStatus.RETRYING
    assert last.delay == SCHEDULE[-1]
    exhausted = decision(answered(500), attempt=len(SCHEDULE) + 1)
    assert exhausted == Decision(
        status=DeliveryStatus.DEAD,
        reason=f"gave up after {len(SCHEDULE) + 1} attempts",
        endpoint=EndpointState.DOWN,
        health=HealthChange.FAILURE,
    )


def test_an_empty_schedule_means_no_retries() -> None:
    made = decision(failed(ErrorClass.CONNECT), schedule=())
    assert made.status is DeliveryStatus.DEAD
    assert made.reason == "gave up after 1 attempts"


# -- 7. a manual replay -------------------------------------------------------------------


def test_a_failed_manual_replay_goes_back_to_the_dead_letters() -> None:
    made = decision(answered(503), attempt=2, manual_replay=True)
    assert made.status is DeliveryStatus.DEAD
    assert made.reason == "manual replay failed: HTTP 503"
    assert made.delay is None
    assert made.health is HealthChange.FAILURE


def test_a_manual_replay_that_succeeds_is_delivered() -> None:
    assert decision(answered(200), attempt=9, manual_replay=True).status is (
        DeliveryStatus.DELIVERED
    )


def test_a_manual_replay_past_the_schedule_says_it_gave_up() -> None:
    made = decision(answered(500), attempt=len(SCHEDULE) + 3, manual_replay=True)
    assert made.reason == f"gave up after {len(SCHEDULE) + 3} attempts"


# -- 8. the next delay: schedule, jitter, slow-down, Retry-After ----------------------------


def test_each_retry_waits_its_scheduled_delay() -> None:
    delays = [decision(answered(500), attempt=n).delay for n in range(1, len(SCHEDULE) + 1)]
    assert delays == list(SCHEDULE)


@pytest.mark.parametrize(
    ("rng", "factor"), [(0.0, 0.8), (0.25, 0.9), (0.5, 1.0), (0.75, 1.1), (1.0, 1.2)]
)
def test_jitter_spreads_a_delay_both_ways_by_up_to_its_fraction(rng: float, factor: float) -> None:
    made = decision(answered(500), attempt=3, rng=rng)
    assert made.delay == pytest.approx(300.0 * factor)


def test_no_jitter_leaves_the_delay_as_scheduled() -> None:
    tuning = RetryTuning(schedule=SCHEDULE, jitter=0.0)
    assert decision(answered(500), attempt=3, tuning=tuning, rng=1.0).delay == 300.0


def test_429_and_timeouts_wait_at_least_the_slow_down() -> None:
    for exchange in (answered(429), failed(ErrorClass.TIMEOUT)):
        made = decision(exchange, attempt=1)  # scheduled: at once
        assert made.status is DeliveryStatus.RETRYING
        assert made.delay == TUNING.slow_down
        assert decision(exchange, attempt=3).delay == 300.0  # a floor, not a replacement


@pytest.mark.parametrize(
    "exchange",
    [answered(500), answered(503), failed(ErrorClass.CONNECT), failed(ErrorClass.PROTOCOL)],
)
def test_other_failures_are_not_slowed_down(exchange: Exchange) -> None:
    assert decision(exchange, attempt=1).delay == 0.0


def test_retry_after_in_seconds_pushes_the_retry_later() -> None:
    made = decision(answered(503, {"Retry-After": "120"}), attempt=2)
    assert made.delay == 120.0
    assert decision(answered(429, {"retry-after": "90"})).delay == 90.0  # above the slow-down


def test_retry_after_never_brings_a_retry_earlier() -> None:
    assert decision(answered(503, {"Retry-After": "1"}), attempt=3).delay == 300.0
    assert decision(answered(429, {"Retry-After": "1"})).delay == TUNING.slow_down


def test_an_integrations_retry_hint_pushes_the_retry_later_never_earlier() -> None:
    def hinted(status: int, hint: float, headers: dict[str, str] | None = None) -> float | None:
        made = decide(
            answered(status, headers),
            1,
            verdict=None,
            schedule=SCHEDULE,
            tuning=TUNING,
            now=NOW,
            retry_hint=hint,
            rng=lambda: 0.5,
        )
        return made.delay

    assert hinted(429, 64.57) == 64.57
    assert hinted(429, 64.57, {"Retry-After": "65"}) == 65.0  # the longer of the two
    assert hinted(429, 0.3) == TUNING.slow_down
    assert hinted(429, float("nan")) == TUNING.slow_down  # no hint
    assert hinted(429, -5.0) == TUNING.slow_down
    assert hinted(503, 1e12) == TUNING.retry_after_max


def test_retry_after_as_an_http_date() -> None:
    made = decision(answered(503, {"Retry-After": http_date(NOW + 600)}), attempt=2)
    assert made.delay == pytest.approx(600.0)
    past = decision(answered(503, {"Retry-After": http_date(NOW - 600)}), attempt=2)
    assert past.delay == 5.0


def test_the_integrations_hint_pushes_the_retry_later_like_retry_after() -> None:
    limited = answered(429)
    asked = decide(
        limited, 1, verdict=None, schedule=SCHEDULE, tuning=TUNING, now=NOW, retry_hint=90
    )
    assert asked.delay == 90.0
    both = answered(429, {"Retry-After": "120"})
    made = decide(both, 1, verdict=None, schedule=SCHEDULE, tuning=TUNING, now=NOW, retry_hint=90)
    assert made.delay == 120.0  # the later of the two
    for hint in (1.0, -5.0, 10**9):
        made = decide(
            limited, 1, verdict=None, schedule=SCHEDULE, tuning=TUNING, now=NOW, retry_hint=hint
        )
        assert made.delay == {1.0: 60.0, -5.0: 60.0}.get(hint, TUNING.retry_after_max)


def test_retry_after_is_capped_at_its_most() -> None:
    for value in ("999999", http_date(NOW + 10 * 86_400)):
        assert decision(answered(503, {"Retry-After": value})).delay == TUNING.retry_after_max


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "", "12345678901", "Mon, 99 Foo 2026"])
def test_an_unreadable_retry_after_is_no_hint(value: str) -> None:
    assert decision(answered(503, {"Retry-After": value}), attempt=2).delay == 5.0


def test_retry_after_seconds_reads_both_forms() -> None:
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds(" 42 ", NOW) == 42.0
    assert retry_after_seconds(http_date(NOW + 30), NOW) == pytest.approx(30.0)
    assert retry_after_seconds(http_date(NOW - 30), NOW) == 0.0
    # A date without a zone ("-0000") is taken as UTC.
    naive = format_datetime(datetime.fromtimestamp(NOW + 30, UTC).replace(tzinfo=None))
    assert naive.endswith("-0000")
    assert retry_after_seconds(naive, NOW) == pytest.approx(30.0)


# -- what a decision says of the endpoint and of the configuration's health ----------------


@pytest.mark.parametrize(
    ("exchange", "state"),
    [
        (answered(200), EndpointState.UP),
        (answered(301), EndpointState.UP),
        (answered(400), EndpointState.UP),
        (answered(404), EndpointState.UP),
        (answered(410), EndpointState.UP),
        (answered(499), EndpointState.UP),
        (answered(429), EndpointState.DOWN),
        (answered(500), EndpointState.DOWN),
        (answered(503), EndpointState.DOWN),
        (answered(599), EndpointState.DOWN),
        (failed(ErrorClass.TIMEOUT), EndpointState.DOWN),
        (failed(ErrorClass.CONNECT), EndpointState.DOWN),
        (failed(ErrorClass.PROTOCOL), EndpointState.DOWN),
        (failed(ErrorClass.BLOCKED, permanent=True), EndpointState.UNKNOWN),
        (failed(ErrorClass.INVALID_URL, permanent=True), EndpointState.UNKNOWN),
        (failed(ErrorClass.GONE, permanent=True), EndpointState.UNKNOWN),
    ],
)
def test_the_endpoint_state_of_each_outcome(exchange: Exchange, state: EndpointState) -> None:
    assert endpoint_state(exchange) is state
    # Every decision carries it, whatever it decides.
    for verdict in (None, Verdict.DELIVERED, Verdict.RETRY, Verdict.PERMANENT):
        assert decision(exchange, verdict=verdict).endpoint is state


@pytest.mark.parametrize(
    "exchange",
    [
        answered(301),
        answered(404),
        answered(410),
        answered(429),
        answered(500),
        failed(ErrorClass.TIMEOUT),
        failed(ErrorClass.CONNECT),
        failed(ErrorClass.PROTOCOL),
        failed(ErrorClass.BLOCKED, permanent=True),
        failed(ErrorClass.INVALID_URL, permanent=True),
    ],
)
def test_every_failure_counts_against_health(exchange: Exchange) -> None:
    for attempt, manual in ((1, False), (2, True), (len(SCHEDULE) + 1, False)):
        made = decision(exchange, attempt=attempt, manual_replay=manual)
        assert made.status is not DeliveryStatus.DELIVERED
        assert made.health is HealthChange.FAILURE


def test_a_delivery_clears_the_failing_streak() -> None:
    assert decision(answered(200)).health is HealthChange.CLEAR
    assert decision(answered(500), verdict=Verdict.DELIVERED).health is HealthChange.CLEAR


def test_a_configuration_gone_is_not_the_endpoints_doing() -> None:
    made = decision(failed(ErrorClass.GONE, permanent=True))
    assert made == Decision(
        status=DeliveryStatus.DEAD,
        reason="permanent failure: gone error",
        endpoint=EndpointState.UNKNOWN,
        health=None,
    )


def test_only_a_retry_has_a_delay_and_only_a_dead_letter_a_reason() -> None:
    for exchange in (answered(200), answered(500), answered(410), failed(ErrorClass.TIMEOUT)):
        for attempt in (1, len(SCHEDULE) + 1):
            made = decision(exchange, attempt=attempt)
            assert (made.delay is not None) is (made.status is DeliveryStatus.RETRYING)
            assert (made.reason is not None) is (made.status is DeliveryStatus.DEAD)
            assert made.disable_reason is None or made.status is DeliveryStatus.DEAD


def test_a_429_uses_up_no_attempt_of_the_schedule() -> None:
    """Two 429s, then a 503: the 503 is the schedule's first failure (retried at once),
    and a 429 past the schedule's end still waits rather than giving up."""
    after_two_429s = decide(
        answered(503),
        3,
        verdict=None,
        schedule=SCHEDULE,
        tuning=TUNING,
        now=NOW,
        throttled=2,
        rng=lambda: 0.5,
    )
    assert after_two_429s.status is DeliveryStatus.RETRYING
    assert after_two_429s.delay == 0.0  # SCHEDULE[0], not SCHEDULE[2]
    past_the_end = decide(
        answered(429, {"Retry-After": "120"}),
        len(SCHEDULE) + 3,
        verdict=None,
        schedule=SCHEDULE,
        tuning=TUNING,
        now=NOW,
        throttled=3,
        rng=lambda: 0.5,
    )
    assert past_the_end.status is DeliveryStatus.RETRYING
    assert past_the_end.delay == 1800.0  # the schedule's last delay, above Retry-After


def test_429s_count_once_there_were_too_many() -> None:
    endless = decide(
        answered(429),
        MAX_THROTTLED + len(SCHEDULE) + 1,
        verdict=None,
        schedule=SCHEDULE,
        tuning=TUNING,
        now=NOW,
        throttled=MAX_THROTTLED + len(SCHEDULE),
    )
    assert endless.status is DeliveryStatus.DEAD
    assert endless.reason == f"gave up after {MAX_THROTTLED + len(SCHEDULE) + 1} attempts"


def test_no_retries_means_none_for_a_429_either() -> None:
    assert decision(answered(429), schedule=()).status is DeliveryStatus.DEAD
