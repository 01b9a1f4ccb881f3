"""The ``switchboard`` command."""

from __future__ import annotations

import click

from .common import configure_logging
from .configs import configs
from .deliveries import dead_letters, deliveries
from .dev import dev
from .emit import emit
from .integrations import integrations
from .rejected import rejected
from .secrets import secrets
from .status import status
from .web import web_command
from .worker import worker

__all__ = ["cli", "main"]


@click.group()
@click.version_option(package_name="switchboard")
def cli() -> None:
    """Switchboard: carries your app's events to Slack, Discord, webhooks and more.

    Settings come from the environment: REDIS_URL, and SWITCHBOARD_* (see the README).
    """
    configure_logging()


cli.add_command(dev)
cli.add_command(worker)
cli.add_command(web_command)
cli.add_command(emit)
cli.add_command(configs)
cli.add_command(integrations)
cli.add_command(deliveries)
cli.add_command(dead_letters)
cli.add_command(rejected)
cli.add_command(secrets)
cli.add_command(status)


def main() -> None:
    cli(prog_name="switchboard")
