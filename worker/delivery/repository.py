"""``DeliveryLog``: the delivery records' repository, and the indexes around them.

Beside each record (``records.py``), sorted sets index the deliveries (all, and
per configuration), the due retries and the dead letters, and each configuration
keeps its last ``CONFIG_ATTEMPTS_KEPT`` attempts and its failing streak.
``write()`` buffers all of that as one script call into the caller's MULTI/EXEC,
beside whatever else the caller adds (internal events): one round trip per
attempt, shared with the deliveries ending at the same moment (``GroupCommit``).
Every key is ``RedisKeys``'.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import orjson
from redis.asyncio.client import Pipeline

from switchboard.config import CONFIG_ATTEMPTS_KEPT, LEASE, Redis, RedisKeys, SecretBox
from switchboard.config.errors import InvalidArgumentError

from ..metric_names import DELIVERIES, latency_bucket
from .records import Attempt, DeliveryRecord, stored_json
from .repository_scripts import CLAIM_SCRIPT, WRITE_KEYS, WRITE_SCRIPT, WRITE_SHARED_KEYS
from .sealing import RequestSealer
from .vocabulary import DeliveryStatus, HealthChange

__all__ = ["DeliveryLog", "RecordWrite"]

_CONCLUDED: Final = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.DEAD})

#: Configurations whose keys are kept built (``_config_keys``).
_CONFIG_KEYS_KEPT: Final = 4096
#: The share of writes that also trim the indexes (on average every 32nd).
_HOUSEKEEPING_SHARE: Final = 1 / 32


@dataclass(slots=True, kw_only=True)  # not frozen: a frozen __init__ costs twice as much
class RecordWrite:
    """One record's part of ``WRITE_SCRIPT``: its ``WRITE_KEYS`` keys and three arguments."""

    keys: tuple[str, ...]
    args: tuple[str | bytes, ...]


class DeliveryLog:
    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        *,
        retention: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._retention = retention
        self._clock = clock
        self._claim = redis.register_script(CLAIM_SCRIPT)
        #: The keys every write shares, in ``WRITE_SCRIPT``'s order.
        self._shared_keys = (keys.deliveries, keys.retries, keys.dead_letters, keys.metrics)
        #: Deliveries this log concluded (delivered or dead), for the worker's heartbeat.
        self.concluded = 0

    @property
    def keys(self) -> RedisKeys:
        return self._keys

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        raw = await cast(
            "Awaitable[bytes | None]", self._redis.get(self._keys.delivery(delivery_id))
        )
        return None if raw is None else DeliveryRecord.model_validate_json(raw)

    async def get_many(self, delivery_ids: Sequence[str]) -> list[DeliveryRecord]:
        records = []
        for start in range(0, len(delivery_ids), 500):  # bounded replies for long lists
            chunk = delivery_ids[start : start + 500]
            raws = await self._redis.mget([self._keys.delivery(i) for i in chunk])
            records += [DeliveryRecord.model_validate_json(raw) for raw in raws if raw is not None]
        return records

    def write(
        self,
        pipe: Pipeline,
        record: DeliveryRecord,
        attempt: Attempt | None,
        *,
        was: DeliveryStatus | None = None,
        health: HealthChange | None = None,
        health_ttl: int = 0,
    ) -> None:
        """Buffer the writes of ``record`` (after ``attempt``) into ``pipe``, as
        ``write_many`` of one (its reply: a list of that one reply)."""
        self.write_many(
            pipe, [self.prepare(record, attempt, was=was, health=health, health_ttl=health_ttl)]
        )

    def write_many(self, pipe: Pipeline, writes: Sequence[RecordWrite]) -> None:
        """Buffer ``writes`` into ``pipe`` as one command, whose reply has one item per
        write: ``(failures, failing_since)`` after a failure counted for its health, else 0.

        One EVAL, not the eight or so commands each write makes, nor one EVAL each: the
        client's work per command (packing, parsing its replies) was the larger part of
        recording, and Redis hashes a script's text on every EVAL (bench/). EVAL rather
        than EVALSHA: inside MULTI, a script missing from a restarted Redis would fail
        alone, after the commands before it had been applied."""
        pipe.execute_command(
            "EVAL",
            WRITE_SCRIPT,
            WRITE_SHARED_KEYS + len(writes) * WRITE_KEYS,
            *self._shared_keys,
            *[key for write in writes for key in write.keys],
            *[arg for write in writes for arg in write.args],
        )

    def prepare(
        self,
        record: DeliveryRecord,
        attempt: Attempt | None,
        *,
        was: DeliveryStatus | None = None,
        health: HealthChange | None = None,
        health_ttl: int = 0,
    ) -> RecordWrite:
        """The keys and arguments that write ``record`` (after ``attempt``).

        ``was``: its status before, when known (``"pending"`` for a first attempt): a
        delivery that was never scheduled or dead needs no removal from those sets.
        ``health``: ``"clear"`` the configuration's failing streak (it was delivered) or
        count a ``"failure"`` in it, kept for ``health_ttl`` seconds without another.
        """
        if health is HealthChange.FAILURE and health_ttl < 1:
            raise InvalidArgumentError(
                f"a failing streak needs a TTL of a second or more, not {health_ttl}"
            )
        keys = self._keys
        if attempt is not None and record.status in _CONCLUDED:
            self.concluded += 1
        now = self._clock()
        now_ms = int(now * 1000)
        ttl = int(self._retention)
        # Kept for the retention after its next attempt, however far off that is.
        record_ttl = ttl + max(0, int((record.next_attempt_at or now) - now))
        retry_at: int | str = ""
        if record.status is DeliveryStatus.RETRYING and record.next_attempt_at is not None:
            retry_at = int(record.next_attempt_at * 1000)
        dead_letters = ""
        if record.status is DeliveryStatus.DEAD:
            dead_letters = "add"
        elif was in (None, DeliveryStatus.DEAD):
            dead_letters = "remove"
        recent = b""
        if attempt is not None:
            # The attempt's JSON with the ids in front: spliced, not dumped again from a dict.
            recent = b'{"delivery_id":%b,"event_id":%b,%b' % (
                orjson.dumps(record.id),
                orjson.dumps(record.event_id),
                stored_json(attempt)[1:],
            )
        outcome, bucket, latency_ms = "", "", 0
        if attempt is not None:
            outcome = f"{DELIVERIES}|{record.integration_id}|{record.status}"
            if attempt.number == 1 and record.emitted_at is not None:
                latency = max(0.0, attempt.at - record.emitted_at)  # at: when it ended
                bucket, latency_ms = latency_bucket(latency), round(latency * 1000)
        # Trimming the indexes to the retention need not happen on every write.
        trim_before = now_ms - ttl * 1000 if random.random() < _HOUSEKEEPING_SHARE else ""
        values = (
            record.id,
            record_ttl,
            now_ms,
            retry_at,
            was is not DeliveryStatus.PENDING,
            dead_letters,
            CONFIG_ATTEMPTS_KEPT,
            trim_before,
            ttl,
            health or "",
            repr(record.updated_at),
            health_ttl,
            outcome,
            bucket,
            latency_ms,
        )
        return RecordWrite(
            keys=(keys.delivery(record.id), *_config_keys(keys, record.config_id)),
            # The small values travel as one JSON array, as redis-py's cost is per argument;
            # JSON as bytes, as they are sent (a str would be decoded, then encoded).
            args=(stored_json(record), orjson.dumps(values), recent),
        )

    async def claim_due(self, limit: int, hold_until_ms: int | None = None) -> list[str]:
        """Up to ``limit`` due retries, each held by the caller until ``hold_until_ms`` (by
        default a lease from now), when it falls due again unless renewed (``leases.py``)."""
        now_ms = int(self._clock() * 1000)
        until_ms = hold_until_ms if hold_until_ms is not None else now_ms + LEASE * 1000
        ids = await self._claim(keys=[self._keys.retries], args=[now_ms, until_ms, limit])
        return [raw.decode() for raw in ids]

    async def reseal(self, secrets: SecretBox) -> int:
        """Re-encrypt the stored requests of pending retries and dead letters with the first
        key (after a key rotation); returns how many were re-encrypted."""
        ids = [
            raw.decode()
            for key in (self._keys.retries, self._keys.dead_letters)
            for raw in await self._redis.zrange(key, 0, -1)
        ]
        sealer = RequestSealer(secrets)
        count = 0
        for record in await self.get_many(list(dict.fromkeys(ids))):
            request = sealer.reseal(record.request)
            if request is None:
                continue
            resealed = record.model_copy(update={"request": request})
            key = self._keys.delivery(record.id)
            ttl = await self._redis.ttl(key)
            await self._redis.set(key, resealed.model_dump_json(), ex=ttl if ttl > 0 else None)
            count += 1
        return count

    async def drop_retry(self, delivery_id: str) -> None:
        await self._redis.zrem(self._keys.retries, delivery_id)

    async def recent_ids(
        self,
        *,
        config_id: str | None = None,
        dead_only: bool = False,
        limit: int | None = 50,
    ) -> list[str]:
        """Delivery ids, most recently updated first (``limit=None``: all of them)."""
        if dead_only:
            key = self._keys.dead_letters
        elif config_id is not None:
            key = self._keys.deliveries_by_config(config_id)
        else:
            key = self._keys.deliveries
        raw = await self._redis.zrevrange(key, 0, -1 if limit is None else limit - 1)
        return [item.decode() for item in raw]

    async def config_attempts(
        self, config_id: str, limit: int = CONFIG_ATTEMPTS_KEPT
    ) -> list[dict[str, Any]]:
        """A configuration's recent attempts, newest first (with their delivery and event ids)."""
        return (await self.config_attempts_many([config_id], limit))[config_id]

    async def config_attempts_many(
        self, config_ids: Sequence[str], limit: int = CONFIG_ATTEMPTS_KEPT
    ) -> dict[str, list[dict[str, Any]]]:
        """``config_attempts`` of each of ``config_ids``, in one pipelined round trip."""
        unique = list(dict.fromkeys(config_ids))
        if not unique:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for config_id in unique:
                pipe.lrange(self._keys.config_attempts(config_id), 0, limit - 1)
            replies: list[list[bytes]] = await pipe.execute()
        return {
            config_id: [orjson.loads(item) for item in raw]
            for config_id, raw in zip(unique, replies, strict=True)
        }

    async def replay(self, delivery_ids: Sequence[str]) -> list[str]:
        """Schedule dead letters for one more attempt now, marked manual; returns those replayed."""
        replayed = []
        now = self._clock()
        for record in await self.get_many(delivery_ids):
            if record.status is not DeliveryStatus.DEAD:
                continue
            again = record.model_copy(
                update={
                    "status": DeliveryStatus.RETRYING,
                    "next_attempt_at": now,
                    "replay_pending": True,
                    "updated_at": now,
                }
            )
            async with self._redis.pipeline(transaction=True) as pipe:
                self.write(pipe, again, None)
                await pipe.execute()
            replayed.append(record.id)
        return replayed


@functools.lru_cache(maxsize=_CONFIG_KEYS_KEPT)
def _config_keys(keys: RedisKeys, config_id: str) -> tuple[str, str, str]:
    """A configuration's deliveries, recent attempts and failing streak keys: built once,
    as every delivery to it writes them."""
    return (
        keys.deliveries_by_config(config_id),
        keys.config_attempts(config_id),
        keys.config_health(config_id),
    )
