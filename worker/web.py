"""The web app: for now, the health check that load balancers and the Procfile's ``web:`` need.

``GET /healthz`` answers 200 with the queue's depth when Redis answers, 503
with the reason when it does not. The admin UI, the HTTP ingest API and
``/metrics`` are to come, behind a token; nothing here reveals a
configuration or a secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import orjson
from aiohttp import web

from switchboard.config import (
    REDIS_DOWN_ERRORS,
    Redis,
    Settings,
    describe_redis_error,
    redis_client,
)

__all__ = ["create_app"]

_REDIS: Final = web.AppKey("redis", Redis)
_SETTINGS: Final = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[_SETTINGS] = settings
    app.cleanup_ctx.append(_redis_connection)
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _health)
    return app


async def _redis_connection(app: web.Application) -> AsyncIterator[None]:
    # Connects on first use: the app starts (and reports 503) while Redis is down.
    client = redis_client(app[_SETTINGS])
    app[_REDIS] = client
    yield
    await client.aclose()


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def _index(request: web.Request) -> web.Response:
    return _json({"service": "switchboard", "health": "/healthz"})


async def _health(request: web.Request) -> web.Response:
    settings = request.app[_SETTINGS]
    try:
        depth = await request.app[_REDIS].zcard(settings.effective_queue_name)
    except REDIS_DOWN_ERRORS as exc:
        return _json({"status": "unavailable", "redis": describe_redis_error(exc)}, status=503)
    return _json({"status": "ok", "redis": "ok", "queue_depth": depth})
