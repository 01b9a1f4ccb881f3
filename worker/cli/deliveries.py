"""``switchboard deliveries`` and ``switchboard dead-letters``: the attempt log, and replay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import click

from switchboard.config import RedisKeys, SecretBox, SecretKeyError, Settings, open_redis

from ..delivery_log import DeliveryLog, DeliveryRecord
from .common import echo_json, echo_table, fail, run

__all__ = ["dead_letters", "deliveries"]

STATUSES = ("pending", "delivered", "retrying", "dead")


@asynccontextmanager
async def _delivery_log(settings: Settings) -> AsyncIterator[DeliveryLog]:
    async with open_redis(settings) as redis:
        keys = RedisKeys(settings.key_prefix)
        yield DeliveryLog(redis, keys, retention=settings.delivery_retention)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _public(record: DeliveryRecord, settings: Settings) -> dict[str, object]:
    """A record for display: the request reduced to method and host (URLs and headers can
    hold secrets), the response bodies kept."""
    data = record.model_dump(mode="json", exclude={"request"})
    try:
        request = record.open_request(SecretBox.from_settings(settings))
        data["request"] = {"method": request.method, "host": urlsplit(request.url).hostname}
    except (ValueError, SecretKeyError):  # no (right) key here: the request stays sealed
        data["request"] = {"sealed": True}
    return data


def _next_or_why(record: DeliveryRecord) -> str:
    if record.status != "retrying":
        return record.dead_reason or "-"
    waiting = f" ({record.waiting_for})" if record.waiting_for else ""
    return _when(record.next_attempt_at) + waiting


def _rows(records: list[DeliveryRecord]) -> list[tuple[object, ...]]:
    return [
        (
            r.id,
            r.status,
            len(r.attempts),
            r.event_type,
            r.config_id,
            _when(r.updated_at),
            _next_or_why(r),
        )
        for r in records
    ]


_HEADERS = ("ID", "STATUS", "ATTEMPTS", "EVENT TYPE", "CONFIG", "UPDATED", "NEXT / WHY")


@click.group()
def deliveries() -> None:
    """Deliveries (one per event and configuration) and their attempt logs."""


@deliveries.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--config", "config_id", help="Only this configuration's.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_deliveries(status: str | None, config_id: str | None, limit: int, as_json: bool) -> None:
    """List deliveries, most recently updated first."""

    async def main(settings: Settings) -> None:
        async with _delivery_log(settings) as log:
            # Filtering by status reads further back, so --limit still fills up.
            scan = limit if status is None else limit * 20
            ids = await log.recent_ids(config_id=config_id, dead_only=status == "dead", limit=scan)
            records = [
                r
                for r in await log.get_many(ids)
                if status in (None, r.status) and config_id in (None, r.config_id)
            ][:limit]
        if as_json:
            echo_json([_public(r, settings) for r in records])
        elif records:
            echo_table(_HEADERS, _rows(records))
        else:
            click.echo("No deliveries.")

    run(main)


@deliveries.command("show")
@click.argument("delivery_id")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def show_delivery(delivery_id: str, as_json: bool) -> None:
    """Show a delivery and its attempt log."""

    async def main(settings: Settings) -> None:
        async with _delivery_log(settings) as log:
            record = await log.get(delivery_id)
        if record is None:
            fail(f'No delivery with id "{delivery_id}" (it may have expired).')
        data = _public(record, settings)
        if as_json:
            echo_json(data)
            return
        for key in ("id", "status", "event_id", "event_type", "tenant", "config_id",
                    "integration_id", "request", "dead_reason"):  # fmt: skip
            click.echo(f"{key}: {data[key]}")
        click.echo(f"created: {_when(record.created_at)}  updated: {_when(record.updated_at)}")
        if record.status == "retrying":
            click.echo(f"next attempt: {_next_or_why(record)}")
        echo_table(
            ("#", "AT", "STATUS", "MS", "ERROR", "NEXT ATTEMPT", "MANUAL"),
            [
                (
                    a.number,
                    _when(a.at),
                    a.status if a.status is not None else "-",
                    a.ms,
                    a.error or "-",
                    _when(a.next_attempt_at),
                    "yes" if a.manual else "",
                )
                for a in record.attempts
            ],
        )

    run(main)


@click.group("dead-letters")
def dead_letters() -> None:
    """Deliveries that failed for good, and replaying them."""


@dead_letters.command("list")
@click.option("--config", "config_id", help="Only this configuration's.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_dead(config_id: str | None, limit: int, as_json: bool) -> None:
    """List dead letters, newest first."""

    async def main(settings: Settings) -> None:
        async with _delivery_log(settings) as log:
            records = await _dead(log, config_id, limit)
        if as_json:
            echo_json([_public(r, settings) for r in records])
        elif records:
            echo_table(_HEADERS, _rows(records))
        else:
            click.echo("No dead letters.")

    run(main)


async def _dead(log: DeliveryLog, config_id: str | None, limit: int | None) -> list[DeliveryRecord]:
    """Dead letters, newest first. With a configuration, every dead letter is read (they
    are few, and any of them may be that configuration's)."""
    scan = limit if config_id is None and limit is not None else None
    records = await log.get_many(await log.recent_ids(dead_only=True, limit=scan))
    dead = [r for r in records if r.status == "dead" and config_id in (None, r.config_id)]
    return dead if limit is None else dead[:limit]


@dead_letters.command("replay")
@click.argument("delivery_ids", nargs=-1)
@click.option("--config", "config_id", help="Every dead letter of this configuration.")
@click.option("--all", "replay_all", is_flag=True, help="Every dead letter.")
def replay(delivery_ids: tuple[str, ...], config_id: str | None, replay_all: bool) -> None:
    """Send dead letters again, with their delivery ids (one attempt each, marked manual)."""
    if not (delivery_ids or config_id or replay_all):
        fail("name delivery ids, --config ID, or --all", 2)

    async def main(settings: Settings) -> None:
        async with _delivery_log(settings) as log:
            ids = list(delivery_ids)
            if config_id is not None or replay_all:
                ids += [r.id for r in await _dead(log, config_id, limit=None)]
            replayed = await log.replay(list(dict.fromkeys(ids)))  # each once
        for the_id in sorted(set(delivery_ids) - set(replayed)):
            click.echo(f"warning: {the_id} is not a dead letter; not replayed", err=True)
        click.echo(f"replaying {len(replayed)} deliveries")

    run(main)
