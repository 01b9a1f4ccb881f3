"""What the web app's parts share, by ``web.AppKey``: the settings, one Redis client
(connected on first use, so the app starts, and says so, while Redis is down), and the
resolver of stored API tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, TypeAlias

from aiohttp import web

from switchboard.config import Redis, Settings
from switchboard.config.tokens import Principal

__all__ = ["REDIS", "SETTINGS", "TOKEN_RESOLVER", "TokenResolver"]

#: Who a bearer token is, when it is not one of the environment's two
#: (``SWITCHBOARD_ADMIN_TOKEN``, ``SWITCHBOARD_INGEST_TOKEN``): ``None`` for a token it
#: does not know. The store of tenant-scoped tokens provides one.
TokenResolver: TypeAlias = Callable[[str], Awaitable[Principal | None]]

REDIS: Final = web.AppKey("redis", Redis)
SETTINGS: Final = web.AppKey("settings", Settings)
#: ``None`` (the default): only the environment's tokens are known.
TOKEN_RESOLVER: Final = web.AppKey[TokenResolver | None]("token_resolver")
