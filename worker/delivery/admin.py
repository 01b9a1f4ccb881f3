"""``DeliveryAdmin``: what operators do with deliveries, for the CLI and the web app alike.

List (by the index that fits the filter, a page at a time), show with the
request reduced to what is no secret, replay dead letters (``replay_held``: by id, a
configuration's or all, held to a tenant), and read the rejected events a page at a
time. The CLI's ``deliveries``, ``dead-letters`` and ``rejected`` commands, the API
and the admin UI are thin adapters over it, as the configuration commands are over
``ConfigAdmin``.

Which index a listing reads:

* ``status="retrying"``: the retry schedule, soonest next attempt first;
* ``status="dead"``: the dead letters, newest first;
* otherwise the configuration's index (``config_id``) or every delivery's,
  most recently updated first, the records read and filtered by status.

Filters the index does not answer (a status in a configuration's index, a
configuration among the dead letters) are applied to the records as they are
read, so a page reads at most ``scan_limit`` index entries: a page can then
hold fewer matches than asked for and still carry a cursor, because more may
match further on. A cursor is the score reached and how many entries at that
score were read, so a page never repeats or skips an entry because newer
deliveries arrived meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from switchboard.config import (
    Redis,
    RedisKeys,
    SecretBox,
    SecretKeyError,
    Settings,
)

from ..rejected import RejectedEvent, RejectedEventLog, RejectedEventPage
from .records import DeliveryRecord
from .repository import DeliveryLog
from .scan_position import Position, Window
from .vocabulary import DeliveryStatus

__all__ = ["DeliveryAdmin", "DeliveryPage", "RejectedEventPage", "ReplayReport"]

#: Index entries (and records) read per round trip.
_CHUNK: Final = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryPage:
    """One page of a listing. ``next_cursor``: where the next page starts, ``None`` when
    the index was read to its end (nothing more matches)."""

    records: list[DeliveryRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayReport:
    replayed: list[str]
    #: Named, but not dead letters (delivered, retrying, expired or unknown): not replayed.
    not_dead: list[str]


class DeliveryAdmin:
    """Listing, showing and replaying deliveries, and the rejected events, over one Redis."""

    def __init__(
        self,
        redis: Redis,
        log: DeliveryLog,
        *,
        secrets: SecretBox | None,
        rejected: RejectedEventLog | None = None,
    ) -> None:
        self._redis = redis
        self._log = log
        self._secrets = secrets
        self._rejected = rejected or RejectedEventLog(redis, log.keys)

    @classmethod
    def for_settings(cls, redis: Redis, settings: Settings) -> DeliveryAdmin:
        log = DeliveryLog(
            redis, RedisKeys(settings.key_prefix), retention=settings.delivery_retention
        )
        return cls(redis, log, secrets=SecretBox.from_settings(settings))

    async def reseal(self) -> int:
        """Re-encrypt the requests of pending retries and dead letters with the first secret
        key (after a rotation); returns how many were."""
        if self._secrets is None:
            raise SecretKeyError("SWITCHBOARD_SECRET_KEY is not set: nothing to encrypt with")
        return await self._log.reseal(self._secrets)

    async def rejected_events(self, limit: int = 50) -> tuple[list[RejectedEvent], int]:
        """The newest ``limit`` rejected events, newest first, and how many are kept in all."""
        return await self._rejected.list(limit), await self._rejected.count()

    async def rejected_page(
        self, *, limit: int = 50, cursor: str | None = None
    ) -> RejectedEventPage:
        """Up to ``limit`` rejected events, newest first, from ``cursor`` on."""
        return await self._rejected.page(limit=limit, cursor=cursor)

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        return await self._log.get(delivery_id)

    async def get_many(self, delivery_ids: Sequence[str]) -> list[DeliveryRecord]:
        """The records of those ids there are, in chunked MGETs (not a GET each)."""
        return await self._log.get_many(delivery_ids)

    async def recent_attempts(self, config_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each configuration's recent attempts (at most ``CONFIG_ATTEMPTS_KEPT``), newest
        first, read for all of them in one round trip: a page of configurations' worth.
        An entry has ``at``, ``status``, ``error_class`` (``None``: it succeeded),
        ``number``, ``delivery_id`` and ``event_id``."""
        return await self._log.config_attempts_many(config_ids)

    async def find(
        self,
        *,
        status: DeliveryStatus | None = None,
        config_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        scan_limit: int = 10_000,
        integration_id: str | None = None,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryPage:
        """Up to ``limit`` deliveries matching every filter given, from ``cursor`` on
        (``integration_id`` and ``tenant`` are applied to the records as they are read).

        ``since`` (inclusive) and ``until`` (exclusive) bound the record's ``updated_at``,
        its last change (naive times are UTC): the score of the every-delivery and
        per-configuration indexes, so there they bound the index read too."""
        status = None if status is None else DeliveryStatus(status)
        keys = self._log.keys
        window = Window.of(since, until)
        descending = True
        if status is DeliveryStatus.RETRYING:
            index, descending = keys.retries, False
        elif status is DeliveryStatus.DEAD:
            index = keys.dead_letters
        elif config_id is not None:
            index = keys.deliveries_by_config(config_id)
        else:
            index = keys.deliveries

        def keep(record: DeliveryRecord) -> bool:
            return (
                status in (None, record.status)
                and config_id in (None, record.config_id)
                and integration_id in (None, record.integration_id)
                and tenant in (None, record.tenant)
                and window.holds(record.updated_at)
            )

        # The index answers the filters alone: no record it names needs reading to decide.
        exact = (
            status in (None, DeliveryStatus.RETRYING, DeliveryStatus.DEAD)
            and (config_id is None or index == keys.deliveries_by_config(config_id))
            and integration_id is None
            and tenant is None
            and window.open
        )
        by_update = index in (keys.deliveries, keys.deliveries_by_config(config_id or ""))
        return await self._scan(
            index,
            descending=descending,
            position=Position.parse(cursor, window if by_update else Window()),
            limit=limit,
            keep=None if exact else keep,
            scan_limit=max(scan_limit, limit),
        )

    async def find_all(
        self,
        *,
        status: DeliveryStatus | None = None,
        config_id: str | None = None,
        tenant: str | None = None,
    ) -> list[DeliveryRecord]:
        """Every delivery matching the filters, page after page."""
        records: list[DeliveryRecord] = []
        cursor = None
        while True:
            page = await self.find(
                status=status, config_id=config_id, tenant=tenant, limit=_CHUNK, cursor=cursor
            )
            records += page.records
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor

    async def replay(self, delivery_ids: Sequence[str]) -> ReplayReport:
        """One more attempt, now and marked manual, for each of these that is a dead letter."""
        unique = list(dict.fromkeys(delivery_ids))
        replayed = await self._log.replay(unique)
        done = set(replayed)
        return ReplayReport(replayed=replayed, not_dead=[i for i in unique if i not in done])

    async def replay_held(
        self,
        *,
        ids: Sequence[str] = (),
        config_id: str | None = None,
        every: bool = False,
        tenant: str | None = None,
    ) -> ReplayReport:
        """Replay the dead letters among ``ids``, and every dead letter of ``config_id`` (or
        all of them: ``every``), of ``tenant`` only when one is given (``None``: every
        tenant's). Another tenant's ids are as unknown ones: ``not_dead`` (sorted) names
        those of ``ids`` not replayed."""
        chosen = list(ids)
        if tenant is not None:
            chosen = [r.id for r in await self.get_many(chosen) if r.tenant == tenant]
        if config_id is not None or every:
            dead = await self.find_all(
                status=DeliveryStatus.DEAD, config_id=config_id, tenant=tenant
            )
            chosen += [r.id for r in dead]
        report = await self.replay(chosen)
        return ReplayReport(
            replayed=report.replayed, not_dead=sorted(set(ids) - set(report.replayed))
        )

    def public(self, record: DeliveryRecord) -> dict[str, Any]:
        """``record`` for display: the request reduced to its method and host (its URL and
        headers can hold secrets), or ``{"sealed": true}`` where no key here opens it."""
        data = record.model_dump(mode="json", exclude={"request"})
        try:
            request = record.open_request(self._secrets)
            data["request"] = {"method": request.method, "host": urlsplit(request.url).hostname}
        except (ValueError, SecretKeyError):
            data["request"] = {"sealed": True}
        return data

    async def _scan(
        self,
        index: str,
        *,
        descending: bool,
        position: Position,
        limit: int,
        keep: Callable[[DeliveryRecord], bool] | None,
        scan_limit: int,
    ) -> DeliveryPage:
        """``keep``: the filter the index does not answer (``None``: it answers them all)."""
        found: list[DeliveryRecord] = []
        scanned = 0
        while True:
            # Unfiltered, a page reads just what it shows; filtered, whole chunks.
            wanted = limit - len(found) if keep is None else _CHUNK
            count = min(_CHUNK, wanted, scan_limit - scanned)
            entries = await self._entries(index, descending, position, count)
            records = await self._records([member for member, _ in entries])
            for (_, score), record in zip(entries, records, strict=True):
                position.passed(score)
                scanned += 1
                if record is not None and (keep is None or keep(record)):
                    found.append(record)
                if len(found) == limit or scanned == scan_limit:
                    more = await self._entries(index, descending, position, 1)
                    return DeliveryPage(
                        records=found, next_cursor=position.cursor() if more else None
                    )
            if len(entries) < count:
                return DeliveryPage(records=found, next_cursor=None)

    async def _entries(
        self, index: str, descending: bool, position: Position, count: int
    ) -> list[tuple[str, float]]:
        if descending:
            bound = "+inf" if position.score is None else position.score
            floor = "-inf" if position.floor is None else position.floor
            raw = await self._redis.zrevrangebyscore(
                index, bound, floor, start=position.seen_at_score, num=count, withscores=True
            )
        else:
            bound = "-inf" if position.score is None else position.score
            raw = await self._redis.zrangebyscore(
                index, bound, "+inf", start=position.seen_at_score, num=count, withscores=True
            )
        return [(member.decode(), float(score)) for member, score in raw]

    async def _records(self, delivery_ids: list[str]) -> list[DeliveryRecord | None]:
        """The records of ``delivery_ids``, ``None`` where one expired."""
        if not delivery_ids:
            return []
        keys = self._log.keys
        raws = await self._redis.mget([keys.delivery(the_id) for the_id in delivery_ids])
        return [None if raw is None else DeliveryRecord.model_validate_json(raw) for raw in raws]
