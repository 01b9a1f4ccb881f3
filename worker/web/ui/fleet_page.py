"""``/ui/fleet``: the workers alive and the work waiting, from Redis alone, as
``switchboard workers`` and ``switchboard status`` print them.

* Workers: each heartbeat (``read_heartbeats``) within ``alive_within``, the one measure
  by which ``/readyz``, ``/metrics`` and the CLI count a worker alive: its id, host, pid,
  version, start, how long ago it beat, jobs in flight and what it has done.
* Work: ``read_status``: the queue's depth and how long its oldest job has been due, the
  retries scheduled (and due already), dead letters, rejected events, and the
  configurations enabled of all.

A tenant's session sees the workers and the queue: they are the fleet every tenant
shares, and hold no tenant's data (ids, hosts, versions, counts of all the work done),
while whether workers run and the queue drains is what tells a tenant why its deliveries
wait. The other counts are of every tenant's records (retries, dead letters,
configurations) or of none's (rejected events): those are for the admin session only;
a tenant finds its own on its dead letters and deliveries pages.
"""

from __future__ import annotations

import time

from aiohttp import web

from switchboard.config import RedisKeys

from ...heartbeat import alive_within, read_heartbeats
from ...status import read_status
from ..state import REDIS, SETTINGS
from .guard import SESSION
from .render import page

__all__ = ["routes"]


def routes(app: web.Application) -> None:
    app.router.add_get("/ui/fleet", _fleet)


async def _fleet(request: web.Request) -> web.Response:
    redis, settings = request.app[REDIS], request.app[SETTINGS]
    now = time.time()
    window = alive_within(settings)
    workers = await read_heartbeats(redis, RedisKeys(settings.key_prefix), now=now, window=window)
    status = await read_status(redis, settings, clock=lambda: now)
    context = {
        "workers": workers,
        "now": now,
        "window": window,
        "status": status,
        "everything": request[SESSION].principal.tenant is None,
    }
    return page(request, "fleet.html", context)
