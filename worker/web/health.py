"""``GET /healthz``: 200 with the queue's depth when Redis answers, 503 with the reason
when it does not (what load balancers and the Procfile's ``web:`` need); ``GET /``
says what is served."""

from __future__ import annotations

import orjson
from aiohttp import web

from switchboard.config import REDIS_DOWN_ERRORS, describe_redis_error

from .state import REDIS, SETTINGS

__all__ = ["json_response", "routes"]


def routes(app: web.Application) -> None:
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _health)


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


async def _index(request: web.Request) -> web.Response:
    return json_response(
        {"service": "switchboard", "health": "/healthz", "ui": "/ui/", "api": "/api/docs"}
    )


async def _health(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        depth = await request.app[REDIS].zcard(settings.effective_queue_name)
    except REDIS_DOWN_ERRORS as exc:
        body = {"status": "unavailable", "redis": describe_redis_error(exc)}
        return json_response(body, status=503)
    return json_response({"status": "ok", "redis": "ok", "queue_depth": depth})
