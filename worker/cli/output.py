"""How commands print: tables and JSON for people and scripts, secrets masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click
import orjson

from switchboard.config import ConfigRecord
from switchboard.integrations import ConfigAdmin

__all__ = ["MASK", "echo_json", "echo_table", "masked_settings", "plural", "record_json"]

MASK = "********"


def masked_settings(settings: Mapping[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    # An unset secret shows as null: that it is unset is no secret, and worth seeing.
    return {
        key: (MASK if key in secret and value is not None else value)
        for key, value in settings.items()
    }


def record_json(record: ConfigRecord, admin: ConfigAdmin) -> dict[str, Any]:
    """A record for display: secrets masked, orphan status shown."""
    data = record.model_dump(mode="json")
    data["settings"] = masked_settings(record.settings, admin.secret_settings(record))
    data["orphaned"] = admin.is_orphaned(record)
    # What holds the configuration back: its own limit, or its integration's default.
    data["effective_rate_limit"] = admin.effective_rate_limit(record)
    return data


def echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(padded).rstrip())


def plural(count: int, one: str, many: str) -> str:
    """``1 delivery``, ``2 deliveries``."""
    return f"{count} {one if count == 1 else many}"
