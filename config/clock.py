"""The clock: timezone-aware UTC time, the only kind Switchboard stores."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)
