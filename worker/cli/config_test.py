"""``switchboard configs test ID``: a test event to one configuration, over the same call
as ``POST /api/configs/{id}/test`` (``worker/probe.py``)."""

from __future__ import annotations

import click

from switchboard.config import Settings

from ..probe import send_test_event
from ..producer import EventClient
from .common import admin_session, run
from .output import echo_json

__all__ = ["test_config"]


@click.command("test")
@click.argument("config_id")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def test_config(config_id: str, as_json: bool) -> None:
    """Send a test event (switchboard.test) to this configuration only, through the queue
    and a worker; prints the event's id and the delivery's, for `deliveries show`."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session, EventClient(settings) as events:
            record = await session.admin.get(config_id)
            sent = await send_test_event(
                session.admin, events, record, sent_by="switchboard configs test"
            )
        if as_json:
            echo_json(
                {"event_id": sent.event_id, "delivery_id": sent.delivery_id, "config_id": record.id}
            )
        else:
            click.echo(f"queued test event {sent.event_id} for {record.id}")
            click.echo(f"delivery: switchboard deliveries show {sent.delivery_id}")

    run(main)
