"""Identifiers: a short type prefix and 80 random bits, lowercase base32 (``cfg_…``, ``evt_…``);
and how a message quotes an id that someone else gave."""

from __future__ import annotations

import base64
import secrets
from typing import Final

__all__ = ["SHOWN_ID_MAX", "new_id", "shown_id"]

#: The most of a caller's id a message quotes.
SHOWN_ID_MAX: Final = 80


def new_id(prefix: str) -> str:
    """``prefix_`` and 16 lowercase base32 characters: URL-safe, never starts with ``-``."""
    return f"{prefix}_" + base64.b32encode(secrets.token_bytes(10)).decode().lower()


def shown_id(value: str) -> str:
    """``value`` as a message quotes it: control characters escaped (no terminal escape
    sequence or fake log line gets through), at most ``SHOWN_ID_MAX`` characters of it,
    and its length when it was cut."""
    text = value if value.isprintable() else value.encode("unicode_escape").decode("ascii")
    if len(text) <= SHOWN_ID_MAX:
        return text
    return f"{text[: SHOWN_ID_MAX - 1]}… ({len(value)} characters)"
