"""The ``switchboard`` command.

Each command's module is imported when the command runs (or shows its own
``--help``), not when ``switchboard`` starts: click's lazy-loading group, with
the summaries ``switchboard --help`` lists kept here, as pip keeps its
commands', so listing them imports none of their dependencies (arq, aiohttp,
pydantic, redis-py). A test checks that each summary is the start of its
command's help.
"""

from __future__ import annotations

import importlib
from typing import Final, NamedTuple

import click

__all__ = ["cli", "main"]


class _Lazy(NamedTuple):
    module: str
    attribute: str
    #: The first paragraph of the command's help, as ``switchboard --help`` lists it.
    summary: str


_COMMANDS: Final = {
    "configs": _Lazy(
        ".configs", "configs", "Operators' configurations of the installed integrations."
    ),
    "dead-letters": _Lazy(
        ".deliveries", "dead_letters", "Deliveries that failed for good, and replaying them."
    ),
    "deliveries": _Lazy(
        ".deliveries",
        "deliveries",
        "Deliveries (one per event and configuration) and their attempt logs.",
    ),
    "dev": _Lazy(
        ".dev", "dev", "Run Switchboard locally (an embedded Redis when REDIS_URL is unset)."
    ),
    "emit": _Lazy(
        ".emit",
        "emit",
        "Emit an event of TYPE with JSON data (an object; `-` reads it from stdin).",
    ),
    "integrations": _Lazy(".integrations", "integrations", "Installed integrations."),
    "new-integration": _Lazy(
        ".new_integration",
        "new_integration",
        "Write a new integration package (its class, form, icons, entry point, a test, README).",
    ),
    "rejected": _Lazy(
        ".rejected",
        "rejected",
        "Rejected events: payloads a worker could not read, malformed or oversized events.",
    ),
    "secrets": _Lazy(
        ".secrets",
        "secrets",
        "The keys that encrypt secret settings at rest (SWITCHBOARD_SECRET_KEY).",
    ),
    "status": _Lazy(
        ".status",
        "status",
        "Show the queue's depth and oldest job, retries, dead letters, rejected events, "
        "configurations and workers alive (read from Redis; exit 1 when it is unreachable).",
    ),
    "tokens": _Lazy(
        ".tokens",
        "tokens",
        "API tokens: tenant-scoped (or explicitly global) admin and ingest tokens.",
    ),
    "web": _Lazy(".web", "web_command", "Serve the web app until SIGTERM or Ctrl-C."),
    "workers": _Lazy(
        ".workers",
        "workers",
        "List the workers alive (from their heartbeats): id, host, pid, version, start, last "
        "beat, and load.",
    ),
    "worker": _Lazy(
        ".worker",
        "worker",
        "Run a worker: deliver queued events until SIGTERM or Ctrl-C (which drain first).",
    ),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported when first needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = _COMMANDS.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            module = importlib.import_module(lazy.module, __name__)
            command: click.Command = getattr(module, lazy.attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with a command not imported yet stood in for by its summary."""
        listed = [
            (name, self.commands.get(name) or click.Command(name, help=_COMMANDS[name].summary))
            for name in self.list_commands(ctx)
        ]
        listed = [(name, command) for name, command in listed if not command.hidden]
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in listed])


@click.group(cls=_LazyGroup)
@click.version_option(package_name="switchboard")
def cli() -> None:
    """Switchboard: carries your app's events to Slack, Discord, webhooks and more.

    Settings come from the environment: REDIS_URL, and SWITCHBOARD_* (see the README).
    """
    from .common import configure_logging

    configure_logging()


def main() -> None:
    cli(prog_name="switchboard")
