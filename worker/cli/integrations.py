"""``switchboard integrations list``: what is installed, and whether it is in use."""

from __future__ import annotations

from typing import Any

import click

from switchboard.config import (
    ConfigRecord,
    ConfigStore,
    RedisUnavailableError,
    Settings,
    open_redis,
    redact_url,
)
from switchboard.config.connection import REDIS_DOWN_ERRORS, describe_redis_error
from switchboard.integrations import IntegrationManager

from ..display import integration_rows
from .common import run
from .output import echo_json, echo_table

__all__ = ["integrations"]


@click.group()
def integrations() -> None:
    """Installed integrations."""


@integrations.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_integrations(as_json: bool) -> None:
    """List installed integrations, with their configurations and load errors.

    What is installed is known without Redis: with Redis unreachable, the list is
    still shown (an author checking a new package needs no server), its
    configuration counts left out, and a note on stderr says why.
    """

    async def main(settings: Settings) -> None:
        manager = IntegrationManager()
        manager.load_plugins(settings.integrations)
        rows = integration_rows(manager, await _config_records(settings))
        errors = [str(e) for e in manager.load_errors]
        if as_json:
            echo_json({"integrations": rows, "load_errors": errors})
            return
        echo_table(
            ["ID", "NAME", "CONFIGS", "ENABLED", "DESCRIPTION"],
            [[r["id"], r["name"], *_in_use(r), r["description"]] for r in rows],
        )

    run(main)


async def _config_records(settings: Settings) -> list[ConfigRecord] | None:
    """Every configuration, to count; ``None`` (and a note) without Redis."""
    try:
        async with open_redis(settings) as redis:
            records, _ = await ConfigStore.for_settings(redis, settings).list()
    except RedisUnavailableError as exc:
        reason = str(exc)
    except REDIS_DOWN_ERRORS as exc:
        url = redact_url(settings.effective_redis_url)
        reason = str(RedisUnavailableError(url, describe_redis_error(exc)))
    else:
        return records
    click.echo(f"note: configurations not counted: {reason}", err=True)
    return None


def _in_use(row: dict[str, Any]) -> list[str]:
    if row["configs"] is None:
        return ["-", "-"]
    return [f"{row['enabled_configs']}/{row['configs']}", "yes" if row["enabled"] else "no"]
