"""``switchboard secrets``: make a key, and re-encrypt every configuration after a rotation."""

from __future__ import annotations

import click

from switchboard.config import SecretKeyError, Settings, generate_secret_key

from ..delivery import DeliveryAdmin
from .common import admin_session, run

__all__ = ["secrets"]


@click.group()
def secrets() -> None:
    """The keys that encrypt secret settings at rest (SWITCHBOARD_SECRET_KEY)."""


@secrets.command("generate-key")
def generate_key() -> None:
    """Print a new key for SWITCHBOARD_SECRET_KEY."""
    click.echo(generate_secret_key())


@secrets.command("rotate")
def rotate() -> None:
    """Re-encrypt every configuration's secrets with the first key of SWITCHBOARD_SECRET_KEY.

    Rotation: put the new key first and the old ones after it (comma-separated),
    restart the workers, run this, then drop the old keys.
    """

    async def main(settings: Settings) -> None:
        if not settings.secret_keys:
            raise SecretKeyError("SWITCHBOARD_SECRET_KEY is not set: nothing to encrypt with")
        async with admin_session(settings) as session:
            records, broken = await session.store.list()
            for record in records:
                await session.admin.reseal(record.id)
            requests = await DeliveryAdmin.for_settings(session.store.redis, settings).reseal()
        click.echo(
            f"re-encrypted {len(records)} configurations and {requests} pending or dead "
            "deliveries with the first key"
        )
        for config_id, error in broken.items():
            click.echo(f"warning: {config_id} was left as it is: {error}", err=True)

    run(main)
