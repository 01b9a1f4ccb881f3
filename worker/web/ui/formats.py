"""How pages write times, durations and descriptions (Jinja filters, registered by
``render.py``).

* ``utc``: an epoch in seconds (records, attempts, heartbeats) or a ``datetime`` (rejected
  events) as UTC ``YYYY-MM-DD HH:MM:SS``; no time (``None``) as ``-``. One zone for every
  operator, whatever their browser's, as the CLI prints them.
* ``duration``: seconds as a person reads them (``4.2 s``, ``3 min 05 s``, ``2 h 03 min``,
  ``3 d 4 h``): ages of heartbeats and of the oldest queued event.
* ``prose``: an integration's or a field's description, escaped, its `code` spans (the
  one markup descriptions use, as in docs and the API reference) as ``<code>``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from markupsafe import Markup, escape

__all__ = ["duration", "prose", "utc"]

_CODE: Final = re.compile(r"`([^`]+)`")


def prose(text: str | None) -> Markup:
    """Escaped first, then the spans marked: nothing of ``text`` is ever markup itself."""
    escaped = str(escape(text or ""))
    return Markup(_CODE.sub(r"<code>\1</code>", escaped))  # noqa: S704 - escaped above


def utc(when: float | datetime | None) -> str:
    if when is None:
        return "-"
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
    if moment.tzinfo is None:  # naive: UTC already, as every time Switchboard keeps
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{max(seconds, 0):.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"
