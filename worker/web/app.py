"""``create_app``: the web app's parts put together, and what they share.

Each part is a module with a ``routes(app)`` function that adds its routes; what they
share is in ``state.py``. Nothing served here reveals a configuration or a secret
without a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from switchboard.config import Settings, redis_client

from . import api, health
from .state import REDIS, SETTINGS, TOKEN_RESOLVER

__all__ = ["create_app"]


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[TOKEN_RESOLVER] = None
    app.cleanup_ctx.append(_redis_connection)
    health.routes(app)
    api.routes(app)
    return app


async def _redis_connection(app: web.Application) -> AsyncIterator[None]:
    client = redis_client(app[SETTINGS])
    app[REDIS] = client
    yield
    await client.aclose()
