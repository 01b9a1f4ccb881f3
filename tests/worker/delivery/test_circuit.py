"""CircuitBreakers on their own, on a clock the tests move (the engine's use: test_retries)."""

from __future__ import annotations

from switchboard.worker.delivery.circuit import CircuitBreakers
from switchboard.worker.delivery.tuning import CircuitTuning

BREAKER_COOLDOWN_MAX = CircuitTuning().cooldown_max


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _opened(clock: Clock, failures: int = 2, cooldown: float = 10.0) -> CircuitBreakers:
    breakers = CircuitBreakers(failures=failures, cooldown=cooldown, clock=clock)
    for _ in range(failures):
        breakers.failed("cfg")
    return breakers


def test_it_opens_after_that_many_failures_in_a_row_only() -> None:
    clock = Clock()
    breakers = CircuitBreakers(failures=3, cooldown=10.0, clock=clock)
    assert breakers.failed("cfg") == 0.0
    assert breakers.failed("cfg") == 0.0
    assert breakers.succeeded("cfg") is False  # closed all along: nothing to close
    assert breakers.failed("cfg") == breakers.failed("cfg") == 0.0
    assert breakers.failed("cfg") == 10.0
    assert breakers.wait("cfg") == 10.0
    assert breakers.wait("other") == 0.0


def test_after_the_cooldown_one_probe_goes_and_the_rest_wait_for_it() -> None:
    clock = Clock()
    breakers = _opened(clock)
    clock.now += 4
    assert breakers.wait("cfg") == 6.0
    clock.now += 6
    assert breakers.wait("cfg") == 0.0  # the probe
    assert breakers.wait("cfg") == 10.0  # until the probe's outcome, or its time is up
    clock.now += 10
    assert breakers.wait("cfg") == 0.0  # the probe never reported: another goes


def test_a_probe_that_tells_nothing_lets_the_next_delivery_probe() -> None:
    clock = Clock()
    breakers = _opened(clock)
    clock.now += 10
    assert breakers.wait("cfg") == 0.0
    breakers.released("cfg")
    assert breakers.wait("cfg") == 0.0


def test_failed_probes_double_the_cooldown_up_to_the_most() -> None:
    clock = Clock()
    breakers = _opened(clock)
    cooldowns = []
    for _ in range(8):
        clock.now += BREAKER_COOLDOWN_MAX
        assert breakers.wait("cfg") == 0.0
        cooldowns.append(breakers.failed("cfg"))
    assert cooldowns == [20, 40, 80, 160, BREAKER_COOLDOWN_MAX, *[BREAKER_COOLDOWN_MAX] * 3]


def test_a_success_closes_it_and_the_count_starts_again() -> None:
    clock = Clock()
    breakers = _opened(clock)
    clock.now += 10
    assert breakers.wait("cfg") == 0.0
    assert breakers.succeeded("cfg") is True
    assert breakers.wait("cfg") == 0.0
    assert breakers.failed("cfg") == 0.0  # one failure of two
    assert breakers.wait("cfg") == 0.0


def test_zero_failures_means_never() -> None:
    breakers = CircuitBreakers(failures=0, cooldown=10.0, clock=Clock())
    for _ in range(100):
        assert breakers.failed("cfg") == 0.0
    assert breakers.wait("cfg") == 0.0
