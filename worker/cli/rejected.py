"""``switchboard rejected list``: what workers received but could not accept."""

from __future__ import annotations

import click

from switchboard.config import Settings, open_redis

from ..delivery import DeliveryAdmin
from .common import run
from .output import echo_json, echo_table

__all__ = ["rejected"]


@click.group()
def rejected() -> None:
    """Rejected events: payloads a worker could not read, malformed or oversized events."""


@rejected.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_rejected(limit: int, as_json: bool) -> None:
    """List rejected events, newest first."""

    async def main(settings: Settings) -> None:
        async with open_redis(settings) as redis:
            entries, total = await DeliveryAdmin.for_settings(redis, settings).rejected_events(
                limit
            )
        if as_json:
            echo_json([entry.model_dump(mode="json") for entry in entries])
            return
        if not entries:
            click.echo("No rejected events.")
            return
        rows = [
            (
                entry.rejected_at.isoformat(timespec="seconds"),
                entry.event_id or "-",
                entry.job_id or "-",
                entry.reason,
            )
            for entry in entries
        ]
        echo_table(("REJECTED AT", "EVENT", "JOB", "REASON"), rows)
        if total > len(entries):
            click.echo(f"({len(entries)} of {total}; --limit shows more)")

    run(main)
