"""The delivery path's tuning, as value objects built from ``Settings`` and passed in.

Like httpx's ``Timeout`` and ``Limits``: every number the delivery path waits on
or counts to is here, with the reason for its default, so a test sets a short
one instead of waiting out a long one, and nothing hides in a module constant.
``DeliveryTuning.from_settings`` is the one place that reads ``Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from switchboard.config import LEASE, Settings

__all__ = [
    "CircuitTuning",
    "DeliveryTuning",
    "FirstAttemptTuning",
    "HealthTuning",
    "HttpClient",
    "HttpClientTuning",
    "HttpLimits",
    "HttpTimeouts",
    "RetryTuning",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpTimeouts:
    """Seconds to connect, and for the whole request (connect, send, answer)."""

    connect: float = 5.0
    total: float = 15.0


#: The clients a transport can be (``transport.py``).
HttpClient = Literal["aiohttp", "httptools", "reqwest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpClientTuning:
    """Which client sends (``SWITCHBOARD_HTTP_CLIENT``), and the certificate authorities it
    trusts besides the system's (``SWITCHBOARD_HTTP_CA_BUNDLE``)."""

    client: HttpClient = "httptools"
    ca_bundle: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpLimits:
    """How many requests a worker makes at once, in all and to one host (and port)."""

    connections: int = 256
    per_host: int = 10
    #: For one tenant's configurations (``None``: no limit of their own): one tenant's
    #: hanging or countless endpoints leave the rest of ``connections`` to the others.
    per_tenant: int | None = None
    #: The longest an attempt queues for a slot (of its host, or of the worker) before it
    #: is deferred: so that a first attempt, and its job, ends well within the handler
    #: timeout however big the backlog.
    queue_wait_max: float = 5.0
    #: A host whose oldest request in flight is older than this counts as slow: an attempt
    #: finding all its slots taken is deferred at once instead of queueing.
    slow_host_after: float = 1.0
    #: A host whose slots are all taken and none of whose requests has ended for this long
    #: (or twice its last request's time) is stalled: no more attempts queue for it than
    #: it has slots (``host_slots.py``).
    stalled_host_after: float = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class FirstAttemptTuning:
    """How first attempts are admitted, and how long one may keep its job waiting."""

    #: First attempts in progress at once, per connection slot: enough for every connection
    #: to be busy while as many again wait for a busy host. A job of 100 events at fan-out
    #: 10 asks for 1,000 deliveries at once; letting 16 such jobs' 16,000 in cost 2.5 times
    #: the CPU per delivery (bench/).
    admitted_per_connection: int = 2
    #: A first attempt on the wire for longer finishes in the background, so that a slow
    #: or hanging endpoint holds none of the queue's job slots.
    inline_budget: float = 1.0
    #: A rate-limit wait up to this long is waited inline; a longer one is deferred.
    inline_rate_wait: float = 0.25
    #: The least time after which an attempt that found no slot is tried again (longer
    #: for a host whose requests have been out longer).
    host_busy_delay: float = 1.0
    #: A retry whose configuration this worker does not know (yet) is handed back for this.
    unknown_config_delay: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryTuning:
    """The retry schedule and the lane retries run in."""

    #: Seconds before each retry; past its end, a dead letter.
    schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    #: Each delay varies by up to this fraction either way.
    jitter: float = 0.2
    #: The longest a receiver's ``Retry-After`` may push a retry.
    retry_after_max: float = 86_400.0
    #: 429 Too Many Requests and timeouts mean an overloaded receiver: the least wait then.
    slow_down: float = 60.0
    #: Retries one worker runs at once: their own lane, never in front of first attempts.
    concurrency: int = 16
    #: How often an idle lane looks for due retries.
    poll_interval: float = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitTuning:
    """Failures in a row (5xx, 429, timeouts, no connection) that open a configuration's
    circuit (0: never), and for how long it stays open before a probe."""

    failures: int = 10
    cooldown: float = 10.0
    #: Each failed probe doubles the cooldown, up to this.
    cooldown_max: float = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthTuning:
    """A configuration failing without a success for ``disable_after`` seconds, with at
    least ``min_failures`` failed attempts, is disabled."""

    disable_after: float = 5 * 24 * 3600.0
    min_failures: int = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryTuning:
    timeouts: HttpTimeouts = field(default_factory=HttpTimeouts)
    client: HttpClientTuning = field(default_factory=HttpClientTuning)
    limits: HttpLimits = field(default_factory=HttpLimits)
    first_attempts: FirstAttemptTuning = field(default_factory=FirstAttemptTuning)
    retries: RetryTuning = field(default_factory=RetryTuning)
    circuit: CircuitTuning = field(default_factory=CircuitTuning)
    health: HealthTuning = field(default_factory=HealthTuning)
    #: Seconds delivery records and their attempt logs are kept.
    retention: float = 7 * 24 * 3600.0
    #: How long this worker's hold on a delivery (a retry it claimed, a first attempt
    #: finishing in the background) lasts unless renewed (``leases.py``): if it dies, the
    #: delivery falls due then and another worker sends it.
    lease: float = float(LEASE)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryTuning:
        return cls(
            timeouts=HttpTimeouts(
                connect=settings.http_connect_timeout, total=settings.http_timeout
            ),
            client=HttpClientTuning(client=settings.http_client, ca_bundle=settings.http_ca_bundle),
            limits=HttpLimits(
                connections=settings.http_max_connections,
                per_host=settings.http_max_connections_per_host,
                per_tenant=settings.http_max_connections_per_tenant
                or max(1, settings.http_max_connections // 2),
            ),
            retries=RetryTuning(
                schedule=settings.retry_schedule,
                jitter=settings.retry_jitter,
                retry_after_max=settings.retry_after_max,
                concurrency=settings.retry_concurrency,
            ),
            circuit=CircuitTuning(
                failures=settings.circuit_breaker_failures,
                cooldown=settings.circuit_breaker_cooldown,
            ),
            health=HealthTuning(
                disable_after=settings.health_disable_after,
                min_failures=settings.health_min_failures,
            ),
            retention=settings.delivery_retention,
            lease=settings.lease,
        )
