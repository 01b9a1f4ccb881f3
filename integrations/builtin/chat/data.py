"""Reading an event's data for a message: whatever an app sent, never a crash.

Event data is any JSON: a key the renderer expects may be missing, ``null``, a number
where a string was meant, or a huge value. These helpers read what is usable and give
``None`` (or a compact text) for the rest, so a message always renders.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from .message import ChatAuthor, safe_url
from .text import fit, one_line

__all__ = ["COMPACT_VALUE_CHARS", "author_from", "compact", "number", "string"]

#: How much of one value a compact view shows.
COMPACT_VALUE_CHARS: Final = 200


def string(value: Any) -> str | None:
    """A non-blank string as it is; a number or a boolean as its JSON text; else ``None``."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    return None


def number(value: Any) -> int | None:
    """A whole number (not a boolean), or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def compact(value: Any, limit: int = COMPACT_VALUE_CHARS) -> str:
    """One line for any JSON value: a string as itself, anything else as JSON; cut."""
    if isinstance(value, str):
        shown = one_line(value)
    else:
        try:
            shown = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # not JSON (event data always is; a caller's dict may not be)
            shown = repr(value)
    return fit(shown, limit)


def author_from(value: Any) -> ChatAuthor | None:
    """A user: ``"alice"``, or ``{"fullname"|"name", "username", "url"}`` (the full name
    first, as rbintegrations shows it)."""
    if isinstance(value, dict):
        name = string(value.get("fullname")) or string(value.get("name"))
        name = name or string(value.get("username"))
        if name is None:
            return None
        return ChatAuthor(name=one_line(name), url=safe_url(value.get("url")))
    name = string(value)
    return ChatAuthor(name=one_line(name)) if name is not None else None
