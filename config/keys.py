"""Every Redis key, channel and TTL Switchboard uses, in one place.

All names start with the configurable prefix (``Settings.key_prefix``,
default ``switchboard``), so several deployments can share one Redis.
docs/architecture.md draws the same layout; keep them together.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARQ_IN_PROGRESS_KEY_PREFIX",
    "ARQ_JOB_KEY_PREFIX",
    "CONFIG_ATTEMPTS_KEPT",
    "CONFIG_CHANGE_LOG_MAX",
    "EVENT_DEDUP_TTL",
    "HEARTBEAT_TTL_BEATS",
    "LEASE",
    "REJECTED_EVENTS_MAX",
    "RedisKeys",
]

#: How many entries the configuration change log keeps. A process whose last
#: seen generation fell off the log reloads every configuration instead.
CONFIG_CHANGE_LOG_MAX = 10_000

#: How many rejected events the rejected-events log keeps (newest first).
REJECTED_EVENTS_MAX = 10_000

#: How many recent attempts each configuration keeps for the UI.
CONFIG_ATTEMPTS_KEPT = 100

#: Seconds an event id is remembered: the same id emitted again within it is dispatched once
#: (the default of ``Settings.event_dedup_ttl``).
EVENT_DEDUP_TTL = 24 * 3600

#: Seconds a worker's hold on what it runs (a queue job, a retry it took, an attempt
#: finishing in the background) lasts unless renewed; it renews every quarter of it, so a
#: worker that dies lets go within it (the default of ``Settings.lease``).
LEASE = 10

#: A worker's heartbeat outlives its last beat by this many heartbeat intervals
#: (``Settings.heartbeat_interval``): a worker that stops beating is gone after it.
HEARTBEAT_TTL_BEATS = 3

#: arq's own keys are not prefixed: ``arq:job:<job id>`` holds a queued job
#: (its TTL is ``Settings.queue_retention``), ``arq:in-progress:<job id>``
#: marks one a worker has taken (TTL: the lease, renewed while the job runs) and
#: ``arq:retry:<job id>`` counts its tries. The queue itself, a sorted set of
#: job ids scored by due time in ms, is ``Settings.effective_queue_name``.
ARQ_JOB_KEY_PREFIX = "arq:job:"
ARQ_IN_PROGRESS_KEY_PREFIX = "arq:in-progress:"


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """The key layout for one prefix."""

    prefix: str = "switchboard"

    # -- configuration store ------------------------------------------------

    @property
    def configs(self) -> str:
        """Hash: configuration id -> record JSON."""
        return f"{self.prefix}:configs"

    @property
    def configs_generation(self) -> str:
        """Integer incremented by every configuration write."""
        return f"{self.prefix}:configs:generation"

    @property
    def configs_changes(self) -> str:
        """Sorted set: configuration id -> generation of its latest write (deletes too)."""
        return f"{self.prefix}:configs:changes"

    @property
    def configs_changes_floor(self) -> str:
        """Highest generation trimmed off the change log."""
        return f"{self.prefix}:configs:changes:floor"

    @property
    def configs_enabled(self) -> str:
        """Set of enabled configuration ids."""
        return f"{self.prefix}:configs:enabled"

    def configs_by_integration(self, integration_id: str) -> str:
        """Set of configuration ids of one integration."""
        return f"{self.prefix}:configs:by-integration:{integration_id}"

    def configs_by_tenant(self, tenant: str | None) -> str:
        """Set of configuration ids of one tenant (or of no tenant)."""
        if tenant is None:
            return f"{self.prefix}:configs:no-tenant"
        return f"{self.prefix}:configs:by-tenant:{tenant}"

    # -- events ---------------------------------------------------------------------

    @property
    def rejected_events(self) -> str:
        """List, newest first: events a worker could not accept (JSON records)."""
        return f"{self.prefix}:events:rejected"

    def event_seen(self, event_id: str, tenant: str | None = None) -> str:
        """String (TTL ``EVENT_DEDUP_TTL``): the id of the job that first carried this event.

        Per tenant: one tenant's ids (an ``Idempotency-Key`` such as ``order-42``) never
        make another's events duplicates. The tenant's length goes first, so no tenant and
        id can spell another pair's key (``a:b`` + ``c`` against ``a`` + ``b:c``)."""
        if tenant is None:
            return f"{self.prefix}:events:seen:{event_id}"
        return f"{self.prefix}:events:seen-in:{len(tenant)}:{tenant}:{event_id}"

    # -- deliveries -------------------------------------------------------------------

    def delivery(self, delivery_id: str) -> str:
        """String (TTL ``Settings.delivery_retention``): one delivery and its attempt log, JSON."""
        return f"{self.prefix}:delivery:{delivery_id}"

    @property
    def deliveries(self) -> str:
        """Sorted set: delivery id -> last update (ms); trimmed to the retention."""
        return f"{self.prefix}:deliveries"

    def deliveries_by_config(self, config_id: str) -> str:
        """Sorted set: one configuration's delivery ids -> last update (ms)."""
        return f"{self.prefix}:deliveries:by-config:{config_id}"

    @property
    def retries(self) -> str:
        """Sorted set: delivery id -> when its next attempt is due (ms)."""
        return f"{self.prefix}:deliveries:retries"

    @property
    def dead_letters(self) -> str:
        """Sorted set: delivery id -> when it became a dead letter (ms)."""
        return f"{self.prefix}:deliveries:dead"

    def config_attempts(self, config_id: str) -> str:
        """List, newest first: a configuration's last ``CONFIG_ATTEMPTS_KEPT`` attempts, JSON."""
        return f"{self.prefix}:configs:attempts:{config_id}"

    def rate_limit(self, config_id: str) -> str:
        """String (expires when idle): the next free rate-limit slot of a configuration (ms)."""
        return f"{self.prefix}:configs:rate:{config_id}"

    def config_health(self, config_id: str) -> str:
        """Hash: failing_since (s) and failures, while a configuration fails; gone on success."""
        return f"{self.prefix}:configs:health:{config_id}"

    # -- workers and metrics ----------------------------------------------------------

    @property
    def workers(self) -> str:
        """Sorted set: worker id -> its last heartbeat (ms); trimmed by the beats."""
        return f"{self.prefix}:workers"

    def worker(self, worker_id: str) -> str:
        """String (TTL ``HEARTBEAT_TTL_BEATS`` intervals): one worker's heartbeat, JSON."""
        return f"{self.prefix}:worker:{worker_id}"

    @property
    def metrics(self) -> str:
        """Hash: fleet-wide counters (``worker/metric_names.py``), incremented by workers in
        the writes they already make; never expires."""
        return f"{self.prefix}:metrics"

    @property
    def configs_changed_channel(self) -> str:
        """Pub/sub channel: the new generation, published after each write."""
        return f"{self.prefix}:configs:changed"

    def tenant_quota(self, quota: str, tenant: str) -> str:
        """String (expires when idle): a tenant's quota's theoretical arrival time (ms),
        ``worker/web/api/quotas.py``."""
        return f"{self.prefix}:quota:{quota}:{tenant}"

    def ui_session(self, digest: str) -> str:
        """String (TTL ``Settings.ui_session_ttl``): one admin UI sign-in, JSON, under the
        SHA-256 (hex) of its cookie's secret (``worker/web/ui/sessions.py``)."""
        return f"{self.prefix}:ui:session:{digest}"

    # -- API tokens -------------------------------------------------------------------

    @property
    def tokens(self) -> str:
        """Hash: token id -> stored token JSON (its record and its secret's SHA-256)."""
        return f"{self.prefix}:tokens"

    def token_by_digest(self, digest: str) -> str:
        """String: the same stored token JSON, under its secret's SHA-256 (hex): what a
        request's token is looked up by, in one GET."""
        return f"{self.prefix}:tokens:by-digest:{digest}"
