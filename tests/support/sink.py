"""A real aiohttp server on 127.0.0.1 that records what it receives.

Each path can be told how to answer: a status code, or to hang until
released (``gate``). Tests wait on what it recorded, never on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import orjson
from aiohttp import web

from .waiting import DEFAULT_TIMEOUT, wait_for


@dataclass(frozen=True)
class Received:
    path: str
    method: str
    headers: dict[str, str]
    body: bytes
    #: When it was answered (the loop's monotonic clock).
    at: float = 0.0
    #: Every header line as received, repeated names included.
    header_lines: tuple[tuple[str, str], ...] = ()

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def all_of(self, name: str) -> list[str]:
        """Every value of the header ``name`` (any case): more than one if it was repeated."""
        return [value for key, value in self.header_lines if key.lower() == name.lower()]


@dataclass
class Behaviour:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    #: When set, the request waits (before answering) until the event is set.
    gate: asyncio.Event | None = None
    #: Seconds each answer takes: a slow endpoint (not a way to wait for anything).
    delay: float = 0.0


class Sink:
    """``async with Sink() as sink:``; then ``sink.url("/a")`` is an endpoint."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        #: Requests that arrived, counted before any gate holds them.
        self.arrived = 0
        self.behaviours: dict[str, Behaviour] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str, **behaviour: Any) -> Behaviour:
        self.behaviours[path] = Behaviour(**behaviour)
        return self.behaviours[path]

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for_count(
        self,
        count: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        where: Callable[[Received], bool] | None = None,
    ) -> list[Received]:
        def matching() -> list[Received]:
            return [r for r in self.received if where is None or where(r)]

        await wait_for(lambda: len(matching()) >= count, timeout=timeout, what=f"{count} requests")
        return matching()

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrived += 1
        body = await request.read()
        behaviour = self.behaviours.get(request.path, Behaviour())
        if behaviour.gate is not None:
            await behaviour.gate.wait()
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        answered_at = asyncio.get_running_loop().time()
        self.received.append(
            Received(
                request.path,
                request.method,
                dict(request.headers),
                body,
                answered_at,
                tuple(request.headers.items()),
            )
        )
        return web.Response(status=behaviour.status, body=behaviour.body, headers=behaviour.headers)

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for behaviour in self.behaviours.values():
            if behaviour.gate is not None:
                behaviour.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
