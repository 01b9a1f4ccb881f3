"""``RecordingSink``: a real aiohttp server on 127.0.0.1 that records what it receives and
answers as a test scripts it.

Each path answers 200 ``ok`` unless told otherwise: ``on(path, status=..., headers=...,
body=..., delay=..., gate=...)`` sets how it always answers, ``script(path, 500, 500,
Answer(status=200))`` a sequence (the last answer repeats). A ``gate`` holds each request
until the test sets it. Tests wait on what it recorded (``wait_for_count``), never on time.

``validate(path, check)`` makes a path a stand-in for a real service: ``check`` sees each
request first and returns the ``Answer`` the service would give to one it refuses (Slack's
``400 invalid_blocks``, say), or ``None`` for one it takes, which then gets the path's
scripted answer. Refused requests are recorded too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self

import orjson
from aiohttp import web
from multidict import CIMultiDict

from .waiting import DEFAULT_TIMEOUT, wait_for

__all__ = ["Answer", "Received", "RecordingSink", "Validator"]


@dataclass(frozen=True)
class Received:
    """One request the sink received."""

    path: str
    method: str
    #: Looked up in any case, as HTTP means them (``headers["webhook-id"]`` finds
    #: ``Webhook-Id``); a repeated header keeps its last value (``all_of`` has all).
    headers: Mapping[str, str]
    body: bytes
    #: When it was answered (the loop's monotonic clock).
    at: float = 0.0
    #: Every header line as received, repeated names included.
    header_lines: tuple[tuple[str, str], ...] = ()
    #: The query string's parameters.
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def of(cls, request: web.Request) -> Received:
        """What ``request`` carried (its body read)."""
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in request.headers.items():
            headers[name] = value  # replaces: the last value stays
        return cls(
            path=request.path,
            method=request.method,
            headers=headers,
            body=await request.read(),
            header_lines=tuple(request.headers.items()),
            query=dict(request.query),
        )

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def header(self, name: str) -> str | None:
        """The header ``name``, in any case."""
        values = self.all_of(name)
        return values[-1] if values else None

    def all_of(self, name: str) -> list[str]:
        """Every value of the header ``name`` (any case): more than one if it was repeated."""
        return [value for key, value in self.header_lines if key.lower() == name.lower()]


@dataclass
class Answer:
    """How a path answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    #: When set, the request waits (before answering) until the event is set.
    gate: asyncio.Event | None = None
    #: Seconds each answer takes: a slow endpoint (not a way to wait for anything).
    delay: float = 0.0


#: A service's rules: the answer to a request it refuses, ``None`` for one it takes.
Validator = Callable[[Received], Answer | None]


class RecordingSink:
    """``async with RecordingSink() as sink:``; then ``sink.url("/a")`` is an endpoint."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        #: Requests that arrived, counted before any gate holds them.
        self.arrived = 0
        self.answers: dict[str, Answer] = {}
        self._scripts: dict[str, list[Answer]] = {}
        self._validators: dict[str, Validator] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str, **answer: Any) -> Answer:
        """How ``path`` answers from now on (``Answer``'s fields)."""
        self._scripts.pop(path, None)
        self.answers[path] = Answer(**answer)
        return self.answers[path]

    def script(self, path: str, *answers: int | Answer) -> None:
        """``path`` answers these in turn (a status, or an ``Answer``); the last repeats."""
        if not answers:
            raise ValueError("script() needs at least one answer")
        self._scripts[path] = [a if isinstance(a, Answer) else Answer(status=a) for a in answers]

    def validate(self, path: str, check: Validator) -> None:
        """Each request to ``path`` is judged by ``check`` before any scripted answer."""
        self._validators[path] = check

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for_count(
        self,
        count: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        where: Callable[[Received], bool] | None = None,
    ) -> list[Received]:
        """Once at least ``count`` requests (matching ``where``) were received: those."""

        def matching() -> list[Received]:
            return [r for r in self.received if where is None or where(r)]

        await wait_for(lambda: len(matching()) >= count, timeout=timeout, what=f"{count} requests")
        return matching()

    def _answer_for(self, path: str) -> Answer:
        script = self._scripts.get(path)
        if script:
            return script.pop(0) if len(script) > 1 else script[0]
        return self.answers.get(path) or Answer()

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrived += 1
        received = await Received.of(request)
        check = self._validators.get(request.path)
        # A refused request leaves the script where it was: the service never got to it.
        answer = (check(received) if check else None) or self._answer_for(request.path)
        if answer.gate is not None:
            await answer.gate.wait()
        if answer.delay:
            await asyncio.sleep(answer.delay)  # the endpoint's slowness, as scripted
        self.received.append(replace(received, at=asyncio.get_running_loop().time()))
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for answer in [*self.answers.values(), *(a for s in self._scripts.values() for a in s)]:
            if answer.gate is not None:
                answer.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
