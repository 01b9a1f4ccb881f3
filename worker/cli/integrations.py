"""``switchboard integrations list``: what is installed, and whether it is in use."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from switchboard.config import (
    ConfigStore,
    RedisUnavailableError,
    Settings,
    open_redis,
    redact_url,
)
from switchboard.config.connection import REDIS_DOWN_ERRORS, describe_redis_error
from switchboard.integrations import IntegrationManager

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
        counts = await _config_counts(settings)
        rows = [
            {
                "id": i.integration_id,
                "name": i.name or i.integration_id,
                "description": i.description or "",
                "configs": counts[0][i.integration_id] if counts else None,
                "enabled_configs": counts[1][i.integration_id] if counts else None,
                "enabled": counts[1][i.integration_id] > 0 if counts else None,
                "icon_static_urls": dict(i.icon_static_urls or {}),
            }
            for i in manager.get_integrations()
        ]
        errors = [str(e) for e in manager.load_errors]
        if as_json:
            echo_json({"integrations": rows, "load_errors": errors})
            return
        echo_table(
            ["ID", "NAME", "CONFIGS", "ENABLED", "DESCRIPTION"],
            [[r["id"], r["name"], *_in_use(r), r["description"]] for r in rows],
        )

    run(main)


async def _config_counts(settings: Settings) -> tuple[Counter[str], Counter[str]] | None:
    """Configurations by integration, all and enabled; ``None`` (and a note) without Redis."""
    try:
        async with open_redis(settings) as redis:
            records, _ = await ConfigStore.for_settings(redis, settings).list()
    except RedisUnavailableError as exc:
        reason = str(exc)
    except REDIS_DOWN_ERRORS as exc:
        url = redact_url(settings.effective_redis_url)
        reason = str(RedisUnavailableError(url, describe_redis_error(exc)))
    else:
        total = Counter(r.integration_id for r in records)
        return total, Counter(r.integration_id for r in records if r.enabled)
    click.echo(f"note: configurations not counted: {reason}", err=True)
    return None


def _in_use(row: dict[str, Any]) -> list[str]:
    if row["configs"] is None:
        return ["-", "-"]
    return [f"{row['enabled_configs']}/{row['configs']}", "yes" if row["enabled"] else "no"]
