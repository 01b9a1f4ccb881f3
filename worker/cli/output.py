"""How commands print: tables and JSON for people and scripts, secrets masked (records
shown as the web API shows them: ``worker/display.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
import orjson

from ..display import MASK, masked_settings, record_json

__all__ = ["MASK", "echo_json", "echo_table", "masked_settings", "plural", "record_json"]


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
