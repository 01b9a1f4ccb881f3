"""``GET /readyz``: ready to take traffic when Redis answers and at least one worker is
alive (its heartbeat at most ``alive_within(settings)`` seconds old:
``Settings.ready_worker_window``, or less when heartbeats expire sooner); 503 with the
reason otherwise. (``/healthz``, in ``health.py``, only says the process is alive.)

Neither asks for a token, as probes do not carry one: they tell whether the process and
its Redis are up and how many workers are alive, nothing of any tenant."""

from __future__ import annotations

import time

from aiohttp import web

from switchboard.config import REDIS_DOWN_ERRORS, RedisKeys, describe_redis_error

from ..heartbeat import alive_within, count_alive
from .health import json_response
from .state import REDIS, SETTINGS

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    app.router.add_get("/readyz", _ready)


async def _ready(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    window = alive_within(settings)
    try:
        async with request.app[REDIS].pipeline(transaction=False) as pipe:
            count_alive(pipe, RedisKeys(settings.key_prefix), now=time.time(), window=window)
            (alive,) = await pipe.execute()
    except REDIS_DOWN_ERRORS as exc:
        body = {"status": "unavailable", "redis": describe_redis_error(exc), "workers_alive": 0}
        return json_response(body, status=503)
    if not alive:
        reason = f"no worker heartbeat within the last {window:g} s"
        return json_response(
            {"status": "unavailable", "redis": "ok", "workers_alive": 0, "reason": reason},
            status=503,
        )
    return json_response({"status": "ok", "redis": "ok", "workers_alive": alive})
