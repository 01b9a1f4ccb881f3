"""``switchboard integrations list``: what is installed, and whether it is in use."""

from __future__ import annotations

from collections import Counter

import click

from switchboard.config import Settings

from .common import admin_session, run
from .output import echo_json, echo_table

__all__ = ["integrations"]


@click.group()
def integrations() -> None:
    """Installed integrations."""


@integrations.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_integrations(as_json: bool) -> None:
    """List installed integrations, with their configurations and load errors."""

    async def main(settings: Settings) -> None:
        async with admin_session(settings) as session:
            records, _ = await session.store.list()
            total = Counter(r.integration_id for r in records)
            enabled = Counter(r.integration_id for r in records if r.enabled)
            rows = [
                {
                    "id": i.integration_id,
                    "name": i.name or i.integration_id,
                    "description": i.description or "",
                    "configs": total[i.integration_id],
                    "enabled_configs": enabled[i.integration_id],
                    "enabled": enabled[i.integration_id] > 0,
                    "icon_static_urls": dict(i.icon_static_urls or {}),
                }
                for i in session.manager.get_integrations()
            ]
            errors = [str(e) for e in session.manager.load_errors]
            if as_json:
                echo_json({"integrations": rows, "load_errors": errors})
                return
            echo_table(
                ["ID", "NAME", "CONFIGS", "ENABLED", "DESCRIPTION"],
                [
                    [
                        r["id"],
                        r["name"],
                        f"{r['enabled_configs']}/{r['configs']}",
                        "yes" if r["enabled"] else "no",
                        r["description"],
                    ]
                    for r in rows
                ],
            )

    run(main)
