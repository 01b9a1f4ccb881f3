"""``Gates``: the circuit, then the rate limit, each answering "go" (``None``) or ``Wait``.

The circuit breakers run on a clock the tests move; the rate limiter is the real one, on the
test Redis (its reservations are one script call), given the times the tests choose.
"""

from __future__ import annotations

import asyncio

import pytest

from switchboard.config import ConfigRecord, Redis, RedisKeys, new_config_id, utc_now
from switchboard.integrations import Integration, IntegrationConfig, IntegrationManager
from switchboard.worker.delivery.circuit import CircuitBreakers
from switchboard.worker.delivery.gates import Gates
from switchboard.worker.delivery.rate_limit import RateLimiter
from switchboard.worker.delivery.tuning import FirstAttemptTuning
from switchboard.worker.delivery.vocabulary import Wait, WaitReason

#: The engine's clock (seconds since the epoch), as the tests set it.
NOW = 1_800_000_000.0
JITTER = 0.2
COOLDOWN = 10.0
#: Rate-limit waits up to this long are waited inline.
INLINE = 0.1


class GatedIntegration(Integration):
    integration_id = "tests.gates"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _config(rate_limit: float | None = None) -> IntegrationConfig:
    now = utc_now()
    record = ConfigRecord(
        id=new_config_id(),
        integration_id=GatedIntegration.integration_id,
        name="gated",
        rate_limit=rate_limit,
        created_at=now,
        updated_at=now,
    )
    return IntegrationConfig(record, GatedIntegration(IntegrationManager()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def circuits(clock: Clock) -> CircuitBreakers:
    return CircuitBreakers(failures=2, cooldown=COOLDOWN, clock=clock)


def _gates(circuits: CircuitBreakers, redis: Redis, keys: RedisKeys, *, rng: float = 0.5) -> Gates:
    return Gates(
        circuits,
        RateLimiter(redis, keys),
        FirstAttemptTuning(inline_rate_wait=INLINE),
        jitter=JITTER,
        rng=lambda: rng,
    )


async def _next_slot_ms(redis: Redis, keys: RedisKeys, config: IntegrationConfig) -> int | None:
    """The rate limiter's next free slot of ``config`` (ms), ``None`` if none was reserved."""
    raw = await redis.get(keys.rate_limit(config.id))
    return None if raw is None else int(raw)


async def test_a_closed_circuit_and_no_rate_limit_let_it_go(
    circuits: CircuitBreakers, redis_client: Redis, keys: RedisKeys
) -> None:
    gates = _gates(circuits, redis_client, keys)
    config = _config()
    assert await gates.check(config, NOW) is None
    circuits.failed(config.id)  # one failure of two: still closed
    assert await gates.check(config, NOW) is None
    assert await _next_slot_ms(redis_client, keys, config) is None  # no limit, no reservation


@pytest.mark.parametrize(("rng", "factor"), [(0.0, 1.0), (0.5, 1.1), (1.0, 1.2)])
async def test_an_open_circuit_says_wait_until_the_probe_with_jitter(
    circuits: CircuitBreakers,
    clock: Clock,
    redis_client: Redis,
    keys: RedisKeys,
    rng: float,
    factor: float,
) -> None:
    gates = _gates(circuits, redis_client, keys, rng=rng)
    config = _config(rate_limit=5.0)
    circuits.failed(config.id)
    assert circuits.failed(config.id) == COOLDOWN  # opened
    wait = await gates.check(config, NOW)
    assert wait is not None
    assert wait.reason is WaitReason.CIRCUIT_OPEN
    assert wait.seconds == pytest.approx(COOLDOWN * factor)
    # Jittered later only, never earlier than the probe may go.
    clock.now += 4
    wait = await gates.check(config, NOW + 4)
    assert wait is not None
    assert wait.reason is WaitReason.CIRCUIT_OPEN
    assert wait.seconds == pytest.approx(6 * factor)
    # The circuit answered first: no rate-limit slot was taken for a delivery that waits.
    assert await _next_slot_ms(redis_client, keys, config) is None


async def test_after_the_cooldown_one_delivery_goes_as_the_probe(
    circuits: CircuitBreakers, clock: Clock, redis_client: Redis, keys: RedisKeys
) -> None:
    gates = _gates(circuits, redis_client, keys)
    config = _config()
    circuits.failed(config.id)
    circuits.failed(config.id)
    clock.now += COOLDOWN
    assert await gates.check(config, clock.now) is None  # the probe
    wait = await gates.check(config, clock.now)  # the others wait for its outcome
    assert wait is not None
    assert wait.reason is WaitReason.CIRCUIT_OPEN


async def test_a_short_rate_limit_wait_is_waited_inline(
    circuits: CircuitBreakers, redis_client: Redis, keys: RedisKeys
) -> None:
    gates = _gates(circuits, redis_client, keys)
    config = _config(rate_limit=20.0)  # a slot every 50 ms
    loop = asyncio.get_running_loop()
    assert await gates.check(config, NOW) is None  # the first slot: now
    began = loop.time()
    assert await gates.check(config, NOW) is None  # 50 ms away: waited here
    assert await gates.check(config, NOW) is None  # 100 ms away: still inline (not above)
    assert loop.time() - began >= 0.05 + 0.1 - 0.01  # the loop's timer granularity
    assert await _next_slot_ms(redis_client, keys, config) == int(NOW * 1000) + 150


async def test_a_long_rate_limit_wait_is_a_wait_that_keeps_its_slot(
    circuits: CircuitBreakers, redis_client: Redis, keys: RedisKeys
) -> None:
    gates = _gates(circuits, redis_client, keys)
    config = _config(rate_limit=1.0)  # a slot a second
    assert await gates.check(config, NOW) is None
    loop = asyncio.get_running_loop()
    began = loop.time()
    wait = await gates.check(config, NOW + 0.25)
    assert wait == Wait(seconds=0.75, reason=WaitReason.RATE_LIMIT)  # never jittered
    assert loop.time() - began < 0.5  # answered at once, not waited
    reserved = await _next_slot_ms(redis_client, keys, config)
    assert reserved == int(NOW * 1000) + 2000  # the slot it was told to wait for is its own
    # Coming back at that slot, the delivery holds it: the limiter is not asked again.
    assert await gates.check(config, NOW + 1, holds_rate_slot=True) is None
    assert await _next_slot_ms(redis_client, keys, config) == reserved


async def test_holding_a_rate_slot_skips_the_limiter_but_not_the_circuit(
    circuits: CircuitBreakers, redis_client: Redis, keys: RedisKeys
) -> None:
    gates = _gates(circuits, redis_client, keys)
    config = _config(rate_limit=1.0)
    for _ in range(3):
        assert await gates.check(config, NOW, holds_rate_slot=True) is None
    assert await _next_slot_ms(redis_client, keys, config) is None
    circuits.failed(config.id)
    circuits.failed(config.id)
    wait = await gates.check(config, NOW, holds_rate_slot=True)
    assert wait is not None
    assert wait.reason is WaitReason.CIRCUIT_OPEN


async def test_jittered_only_ever_lengthens_a_wait(
    circuits: CircuitBreakers, redis_client: Redis, keys: RedisKeys
) -> None:
    for rng, expected in ((0.0, 10.0), (0.25, 10.5), (1.0, 12.0)):
        assert _gates(circuits, redis_client, keys, rng=rng).jittered(10.0) == pytest.approx(
            expected
        )
