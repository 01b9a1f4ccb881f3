"""``switchboard emit``: put one event on the queue from a shell."""

from __future__ import annotations

import sys

import click
import orjson

from switchboard.config import Settings

from ..producer import EventClient
from .common import EXIT_INVALID, fail, run

__all__ = ["emit"]


@click.command()
@click.argument("event_type", metavar="TYPE")
@click.argument("data", metavar="[JSON|-]", required=False, default="{}")
@click.option("--tenant", help="The tenant the event belongs to.")
@click.option("--id", "event_id", help="The event's id (default: a generated evt_... id).")
def emit(event_type: str, data: str, tenant: str | None, event_id: str | None) -> None:
    """Emit an event of TYPE with JSON data (an object; `-` reads it from stdin).

    Prints the event's id.
    """
    raw = sys.stdin.read() if data == "-" else data
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        fail(f"the event data is not valid JSON: {exc}", EXIT_INVALID)
    if not isinstance(payload, dict):
        fail("the event data must be a JSON object ({...})", EXIT_INVALID)

    async def main(settings: Settings) -> str:
        async with EventClient(settings) as client:
            return await client.emit(event_type, payload, tenant=tenant, event_id=event_id)

    click.echo(run(main))
