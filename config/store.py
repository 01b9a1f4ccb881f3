"""The configuration store: records in one Redis hash, written atomically by Lua scripts.

Every write is one script run (one round trip) that checks the record is still
what the caller read (compare-and-set on the stored JSON), writes it, keeps the
index sets true, bumps the generation counter, logs the change and publishes
the new generation. Two concurrent edits therefore never mix: the second one's
compare fails and ``update`` re-reads and re-applies its change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, cast

from .changes import ConfigChanges, decode_pairs
from .clock import utc_now
from .connection import Redis
from .errors import (
    ConfigConflictError,
    ConfigNotFoundError,
    InvalidArgumentError,
    RecordFormatError,
    TenantFullError,
)
from .keys import CONFIG_CHANGE_LOG_MAX, RedisKeys
from .records import ConfigRecord, new_config_id
from .secrets import SecretBox
from .settings import Settings
from .store_scripts import CHANGES_SCRIPT, LIST_SCRIPT, SAVE_SCRIPT

__all__ = ["UNSET", "ConfigChanges", "ConfigStore", "Unset"]

#: Fields an update may change; the rest are fixed at creation.
_MUTABLE_FIELDS: Final = frozenset(
    {"name", "enabled", "tenant", "settings", "secret_settings", "conditions", "rate_limit"}
    | {"disabled_reason"}
)
#: A writer loses a compare-and-set only to another writer's success, so up to
#: this many concurrent editors of one record all succeed.
_UPDATE_ATTEMPTS: Final = 25


class Unset:
    """Marks "no filter" where ``None`` is a meaningful value (no tenant)."""


UNSET: Final = Unset()


class ConfigStore:
    """Create, read, update, delete and list configuration records."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        *,
        clock: Callable[[], datetime] = utc_now,
        change_log_max: int = CONFIG_CHANGE_LOG_MAX,
        secrets: SecretBox | None = None,
    ) -> None:
        self._redis = redis
        self._secrets = secrets
        self._keys = keys
        self._clock = clock
        self._change_log_max = change_log_max
        self._save = redis.register_script(SAVE_SCRIPT)
        self._changes = redis.register_script(CHANGES_SCRIPT)
        self._list = redis.register_script(LIST_SCRIPT)

    @classmethod
    def for_settings(cls, redis: Redis, settings: Settings) -> ConfigStore:
        """The store of ``settings``' deployment: its key prefix and its secret keys."""
        return cls(redis, RedisKeys(settings.key_prefix), secrets=SecretBox.from_settings(settings))

    @property
    def keys(self) -> RedisKeys:
        return self._keys

    @property
    def redis(self) -> Redis:
        return self._redis

    # -- writes ---------------------------------------------------------------

    async def create(
        self,
        *,
        integration_id: str,
        name: str,
        settings: Mapping[str, Any] | None = None,
        tenant: str | None = None,
        enabled: bool = True,
        conditions: Mapping[str, Any] | None = None,
        config_id: str | None = None,
        secret_settings: Iterable[str] = (),
        rate_limit: float | None = None,
        tenant_limit: int | None = None,
    ) -> ConfigRecord:
        """``tenant_limit``: ``TenantFullError`` when the tenant already has that many
        (checked in the write's own script, so concurrent creates cannot pass it)."""
        now = self._clock()
        record = ConfigRecord(
            id=config_id or new_config_id(),
            integration_id=integration_id,
            name=name,
            enabled=enabled,
            tenant=tenant,
            settings=dict(settings or {}),
            secret_settings=tuple(sorted(secret_settings)),
            rate_limit=rate_limit,
            conditions=dict(conditions or {"mode": "always"}),
            created_at=now,
            updated_at=now,
        )
        written = await self._write(
            record.id, expected=None, old=None, new=record, limit=tenant_limit
        )
        if not written:
            raise ConfigConflictError(record.id, 1)
        return record

    async def update(
        self,
        config_id: str,
        change: Callable[[ConfigRecord], Mapping[str, Any]],
        *,
        tenant_limit: int | None = None,
    ) -> ConfigRecord:
        """Apply ``change`` (current record -> fields to set) atomically.

        ``change`` runs again on the fresh record if someone else wrote in
        between, so it must be a pure function of the record it is given.
        Exceptions it raises (a validation error, say) propagate unchanged.
        """
        for _ in range(_UPDATE_ATTEMPTS):
            raw = await self._read_raw(config_id)
            if raw is None:
                raise ConfigNotFoundError(config_id)
            current = ConfigRecord.from_json(config_id, raw, self._secrets)
            updates = dict(change(current))
            if fixed := set(updates) - _MUTABLE_FIELDS:
                raise InvalidArgumentError(f"Fields that cannot change: {', '.join(sorted(fixed))}")
            updated = ConfigRecord.model_validate(
                {
                    **current.model_dump(),
                    **updates,
                    "updated_at": self._next_update_time(current.updated_at),
                }
            )
            if await self._write(
                config_id, expected=raw, old=current, new=updated, limit=tenant_limit
            ):
                return updated
        raise ConfigConflictError(config_id, _UPDATE_ATTEMPTS)

    async def delete(self, config_id: str) -> ConfigRecord | None:
        """Delete a record; returns it, or ``None`` when what was stored could not be read."""
        for _ in range(_UPDATE_ATTEMPTS):
            raw = await self._read_raw(config_id)
            if raw is None:
                raise ConfigNotFoundError(config_id)
            try:
                current = ConfigRecord.from_json(config_id, raw, self._secrets)
            except RecordFormatError:
                # An unreadable record can still be deleted; its index entries
                # are unknown, and a later full listing ignores missing ids.
                current = None
            if await self._write(config_id, expected=raw, old=current, new=None):
                return current
        raise ConfigConflictError(config_id, _UPDATE_ATTEMPTS)

    async def _read_raw(self, config_id: str) -> bytes | None:
        # redis-py types every command as "Awaitable[T] | T"; the asyncio client awaits.
        raw: bytes | None = await cast(
            "Awaitable[bytes | None]", self._redis.hget(self._keys.configs, config_id)
        )
        return raw

    def _next_update_time(self, previous: datetime) -> datetime:
        # "updated" must really change, even when two edits land in one clock tick.
        return max(self._clock(), previous + timedelta(microseconds=1))

    def _index_keys(self, record: ConfigRecord | None) -> list[str]:
        if record is None:
            return []
        keys = [self._keys.configs_by_integration(record.integration_id)]
        keys.append(self._keys.configs_by_tenant(record.tenant))
        if record.enabled:
            keys.append(self._keys.configs_enabled)
        return keys

    async def _write(
        self,
        config_id: str,
        *,
        expected: bytes | None,
        old: ConfigRecord | None,
        new: ConfigRecord | None,
        limit: int | None = None,
    ) -> bool:
        """Whether it was written (not: the record was not as expected); ``limit``: of the
        new record's tenant (``TenantFullError``)."""
        old_keys = self._index_keys(old)
        keys = [
            self._keys.configs,
            self._keys.configs_generation,
            self._keys.configs_changes,
            self._keys.configs_changes_floor,
            *old_keys,
            *self._index_keys(new),
        ]
        args: list[bytes | str | int] = [
            config_id,
            expected or b"",
            new.to_json(self._secrets) if new is not None else b"",
            self._keys.configs_changed_channel,
            len(old_keys),
            self._change_log_max,
            limit if new is not None and new.tenant is not None and limit else 0,
        ]
        generation = int(await self._save(keys=keys, args=args))
        if generation < 0 and new is not None and new.tenant is not None and limit:
            raise TenantFullError(new.tenant, limit)
        return generation > 0

    # -- reads ----------------------------------------------------------------

    async def get(self, config_id: str) -> ConfigRecord:
        raw = await self._read_raw(config_id)
        if raw is None:
            raise ConfigNotFoundError(config_id)
        return ConfigRecord.from_json(config_id, raw, self._secrets)

    async def list(
        self,
        *,
        integration_id: str | None = None,
        tenant: str | Unset | None = UNSET,
        enabled: bool | None = None,
    ) -> tuple[list[ConfigRecord], dict[str, RecordFormatError]]:
        """Records matching every filter given, oldest first, and the unreadable ones."""
        keys = [self._keys.configs]
        if integration_id is not None:
            keys.append(self._keys.configs_by_integration(integration_id))
        if not isinstance(tenant, Unset):
            keys.append(self._keys.configs_by_tenant(tenant))
        if enabled:
            keys.append(self._keys.configs_enabled)
        records, broken = decode_pairs(await self._list(keys=keys), self._secrets)
        found = [r for r in records.values() if r is not None]
        if enabled is False:
            found = [r for r in found if not r.enabled]
        found.sort(key=lambda r: (r.created_at, r.id))
        return found, broken

    async def changes_since(self, generation: int) -> ConfigChanges:
        """One round trip: the generation now, and what changed after ``generation``.

        ``generation=-1`` asks for everything. When the change log no longer
        reaches back that far (or Redis lost its data), the answer is full.
        """
        reply = await self._changes(
            keys=[
                self._keys.configs,
                self._keys.configs_generation,
                self._keys.configs_changes,
                self._keys.configs_changes_floor,
            ],
            args=[generation],
        )
        changes = ConfigChanges(generation=int(reply[0]))
        if len(reply) > 1:
            changes.full = bool(reply[1])
            changes.records, changes.broken = decode_pairs(reply[2], self._secrets)
        return changes
