"""``create_app``: the web app's parts put together, and what they share.

Each part is a module (or package: ``api``, ``ui``) with a ``routes(app)`` function that
adds its routes; what they share is in ``state.py``. Nothing served here reveals a
configuration or a secret without a token (the UI's session stands on one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from switchboard.config import Principal, Settings, TokenStore, redis_client, resolve_token

from . import api, health, metrics, readiness, ui
from .state import REDIS, SETTINGS, TOKEN_RESOLVER

__all__ = ["create_app"]


def create_app(settings: Settings) -> web.Application:
    # A body may hold an event at the size limit with room to spare, so that one over
    # it hears the Python client's words (a 422 saying how large), not a bare 413.
    app = web.Application(client_max_size=max(1 << 20, 2 * settings.max_event_bytes))
    app[SETTINGS] = settings

    async def stored_token(token: str) -> Principal | None:
        """A token ``switchboard tokens create`` made: one GET of its hash."""
        return await resolve_token(TokenStore.for_settings(app[REDIS], settings), token)

    app[TOKEN_RESOLVER] = stored_token
    app.cleanup_ctx.append(_redis_connection)
    health.routes(app)
    readiness.routes(app)
    metrics.routes(app)
    api.routes(app)
    ui.routes(app)
    return app


async def _redis_connection(app: web.Application) -> AsyncIterator[None]:
    client = redis_client(app[SETTINGS])
    app[REDIS] = client
    yield
    await client.aclose()
