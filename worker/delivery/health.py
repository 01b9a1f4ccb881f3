"""Endpoint health: a configuration whose deliveries fail continuously is disabled.

Each attempt's write clears its configuration's failing streak (delivered) or
counts a failure in it (``repository.DeliveryLog.write``, the policy's
``HealthChange``). A configuration failing for ``HealthTuning.disable_after``
with at least ``min_failures`` failures, or whose endpoint answered 410 Gone, is
disabled here: its record keeps why (``disabled_reason``), its streak goes, and
``switchboard.config.disabled`` is queued.
"""

from __future__ import annotations

import logging

from switchboard.config import ConfigStore, Redis, RedisKeys
from switchboard.integrations import IntegrationConfig

from ..logs import fields
from .internal_events import InternalEvents
from .tuning import HealthTuning

__all__ = ["EndpointHealth"]

logger = logging.getLogger("switchboard.worker.delivery")


class EndpointHealth:
    def __init__(
        self,
        tuning: HealthTuning,
        *,
        store: ConfigStore,
        redis: Redis,
        keys: RedisKeys,
        events: InternalEvents,
    ) -> None:
        self._tuning = tuning
        self._store = store
        self._redis = redis
        self._keys = keys
        self._events = events

    @property
    def streak_ttl(self) -> int:
        """How long a failing streak is kept without another failure, in seconds."""
        return int(self._tuning.disable_after * 2)

    def reason_to_disable(self, failures: int, failing_since: float, now: float) -> str | None:
        """Why to disable, given the streak a failure was just counted in; ``None``: not yet."""
        failing_for = now - failing_since
        if failures >= self._tuning.min_failures and failing_for >= self._tuning.disable_after:
            return f"failing for {_duration(failing_for)} ({failures} failed attempts)"
        return None

    async def disable(self, config: IntegrationConfig, reason: str) -> None:
        await self._store.update(
            config.id, lambda record: {"enabled": False, "disabled_reason": reason}
        )
        logger.warning(
            "configuration disabled",
            extra=fields(config_id=config.id, integration=config.integration_id, reason=reason),
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.config_health(config.id))
            self._events.config_disabled(pipe, config, reason)
            await pipe.execute()


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"
