"""Keyset pages of configurations, shared by the web API (``GET /api/configs``) and the
admin UI (``/ui/configs``), so both page the same way.

A listing is oldest first, by ``(created_at, id)``; a cursor is the last shown record's
key, JSON in URL-safe base64. The next page is what comes after that key, so a page
never repeats or skips a record because others were created or deleted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import orjson

from switchboard.config import ConfigRecord
from switchboard.integrations import ConfigValidationError

__all__ = ["config_cursor", "config_page", "config_position"]


def _key(record: ConfigRecord) -> tuple[float, str]:
    return record.created_at.timestamp(), record.id


def config_cursor(record: ConfigRecord) -> str:
    """The cursor of the page that starts after ``record``."""
    return base64.urlsafe_b64encode(orjson.dumps(_key(record))).decode().rstrip("=")


def config_position(cursor: str | None) -> tuple[float, str] | None:
    """The key a cursor stands for (``None``: from the start); ``ConfigValidationError``
    on ``cursor`` for one no listing gave."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, the_id = orjson.loads(raw)
        return float(when), str(the_id)
    except (binascii.Error, ValueError, TypeError):
        raise ConfigValidationError(
            {"cursor": f"{cursor[:40]!r} is not a cursor this listing gave"}, subject="listing"
        ) from None


def config_page(
    records: Sequence[ConfigRecord], *, cursor: str | None, limit: int
) -> tuple[list[ConfigRecord], str | None]:
    """Up to ``limit`` of ``records`` (oldest first) after ``cursor``, and the next page's
    cursor (``None`` on the last page)."""
    after = config_position(cursor)
    rest = [r for r in records if after is None or _key(r) > after]
    page = rest[:limit]
    return page, config_cursor(page[-1]) if len(rest) > limit else None
