"""What the web app's parts share, by ``web.AppKey``: the settings, and one Redis client
(connected on first use, so the app starts, and says so, while Redis is down)."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from switchboard.config import Redis, Settings

__all__ = ["REDIS", "SETTINGS"]

REDIS: Final = web.AppKey("redis", Redis)
SETTINGS: Final = web.AppKey("settings", Settings)
