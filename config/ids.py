"""Identifiers: a short type prefix and 80 random bits, lowercase base32 (``cfg_…``, ``evt_…``)."""

from __future__ import annotations

import base64
import secrets

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    """``prefix_`` and 16 lowercase base32 characters: URL-safe, never starts with ``-``."""
    return f"{prefix}_" + base64.b32encode(secrets.token_bytes(10)).decode().lower()
