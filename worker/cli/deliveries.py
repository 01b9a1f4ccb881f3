"""``switchboard deliveries`` and ``switchboard dead-letters``: the attempt log, and replay.

Thin adapters over ``DeliveryAdmin`` (``worker/delivery_admin.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from switchboard.config import Settings, open_redis, shown_id

from ..delivery import DeliveryAdmin, DeliveryPage, DeliveryRecord, DeliveryStatus
from .common import fail, run
from .output import echo_json, echo_table, plural

__all__ = ["dead_letters", "deliveries"]

#: How much of a response body ``deliveries show`` prints (``--json`` has all that is kept).
BODY_SHOWN = 300


@asynccontextmanager
async def _delivery_admin(settings: Settings) -> AsyncIterator[DeliveryAdmin]:
    async with open_redis(settings) as redis:
        yield DeliveryAdmin.for_settings(redis, settings)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _next_or_why(record: DeliveryRecord) -> str:
    if record.status is not DeliveryStatus.RETRYING:
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


def _echo_page(
    page: DeliveryPage, admin: DeliveryAdmin, as_json: bool, *, empty: str, what: str
) -> None:
    if as_json:
        echo_json([admin.public(r) for r in page.records])
    elif page.records:
        echo_table(_HEADERS, _rows(page.records))
    else:
        click.echo(empty)
    if page.next_cursor is not None:  # on stderr: stdout stays the table, or the JSON
        click.echo(f"more {what} may match: add --cursor {page.next_cursor}", err=True)


class _Time(click.ParamType[datetime]):
    """ISO 8601 (no zone: UTC) or epoch seconds, parsed as the API's ``since`` is."""

    name = "TIME"
    _adapter: TypeAdapter[datetime] = TypeAdapter(datetime)

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        try:
            return self._adapter.validate_python(value)
        except ValidationError:
            self.fail(f"{value!r} is no ISO 8601 time or epoch seconds", param, ctx)


TIME = _Time()


def _limit_option(command: Any) -> Any:
    return click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(min=1),
        help="At most this many on the page.",
    )(command)


def _cursor_option(command: Any) -> Any:
    return click.option(
        "--cursor", help="Go on from where the previous page ended (it prints the cursor)."
    )(command)


@click.group()
def deliveries() -> None:
    """Deliveries (one per event and configuration) and their attempt logs."""


@deliveries.command("list")
@click.option(
    "--status",
    type=click.Choice([status.value for status in DeliveryStatus]),
    help="Only deliveries in this state.",
)
@click.option("--config", "config_id", help="Only this configuration's.")
@click.option("--since", type=TIME, help="Updated at or after (ISO 8601 or epoch seconds).")
@click.option("--until", type=TIME, help="Updated before (ISO 8601 or epoch seconds).")
@_limit_option
@_cursor_option
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_deliveries(
    status: str | None,
    config_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    as_json: bool,
) -> None:
    """List deliveries, most recently updated first (retrying ones: next attempt first).

    A page ends at --limit; when more may match, it says so on stderr with the
    --cursor that goes on.
    """

    async def main(settings: Settings) -> None:
        async with _delivery_admin(settings) as admin:
            page = await admin.find(
                status=None if status is None else DeliveryStatus(status),
                config_id=config_id,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
            _echo_page(page, admin, as_json, empty="No deliveries.", what="deliveries")

    run(main)


def _one_line(text: str, limit: int = BODY_SHOWN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _request_text(request: dict[str, Any]) -> str:
    if request.get("sealed"):
        return "sealed (SWITCHBOARD_SECRET_KEY here does not open it)"
    return f"{request['method']} {request['host']}"


@deliveries.command("show")
@click.argument("delivery_id")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def show_delivery(delivery_id: str, as_json: bool) -> None:
    """Show a delivery and its attempt log (with each response's body)."""

    async def main(settings: Settings) -> None:
        async with _delivery_admin(settings) as admin:
            record = await admin.get(delivery_id)
            if record is None:
                fail(f'No delivery with id "{shown_id(delivery_id)}" (it may have expired).')
            data = admin.public(record)
        if as_json:
            echo_json(data)
            return
        for key in ("id", "status", "event_id", "event_type", "tenant", "config_id",
                    "integration_id"):  # fmt: skip
            click.echo(f"{key}: {data[key] if data[key] is not None else '-'}")
        click.echo(f"request: {_request_text(data['request'])}")
        click.echo(f"dead_reason: {record.dead_reason or '-'}")
        click.echo(f"created: {_when(record.created_at)}  updated: {_when(record.updated_at)}")
        if record.status is DeliveryStatus.RETRYING:
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
        bodies = [(a.number, a.body) for a in record.attempts if a.body]
        if bodies:
            click.echo("responses:")
            for number, body in bodies:
                click.echo(f"  #{number}: {_one_line(body)}")

    run(main)


@click.group("dead-letters")
def dead_letters() -> None:
    """Deliveries that failed for good, and replaying them."""


@dead_letters.command("list")
@click.option("--config", "config_id", help="Only this configuration's.")
@_limit_option
@_cursor_option
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_dead(config_id: str | None, limit: int, cursor: str | None, as_json: bool) -> None:
    """List dead letters, newest first."""

    async def main(settings: Settings) -> None:
        async with _delivery_admin(settings) as admin:
            page = await admin.find(
                status=DeliveryStatus.DEAD, config_id=config_id, limit=limit, cursor=cursor
            )
            _echo_page(page, admin, as_json, empty="No dead letters.", what="dead letters")

    run(main)


@dead_letters.command("replay")
@click.argument("delivery_ids", nargs=-1)
@click.option("--config", "config_id", help="Every dead letter of this configuration.")
@click.option("--all", "replay_all", is_flag=True, help="Every dead letter.")
def replay(delivery_ids: tuple[str, ...], config_id: str | None, replay_all: bool) -> None:
    """Send dead letters again, with their delivery ids (one attempt each, marked manual)."""
    if not (delivery_ids or config_id or replay_all):
        fail("name delivery ids, --config ID, or --all", 2)

    async def main(settings: Settings) -> None:
        async with _delivery_admin(settings) as admin:
            ids = list(delivery_ids)
            if config_id is not None or replay_all:
                dead = await admin.find_all(status=DeliveryStatus.DEAD, config_id=config_id)
                ids += [r.id for r in dead]
            report = await admin.replay(ids)
        for the_id in sorted(set(report.not_dead) & set(delivery_ids)):
            click.echo(f"warning: {the_id} is not a dead letter; not replayed", err=True)
        click.echo(f"replaying {plural(len(report.replayed), 'delivery', 'deliveries')}")

    run(main)
