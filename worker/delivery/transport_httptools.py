"""``HttptoolsTransport``: HTTP/1.1 on the event loop's own connections, parsed by llhttp.

What a delivery needs of an HTTP client and no more: a request written as one buffer on
a kept-alive connection (``H1Connection``), its answer parsed in C as it arrives. Names
are resolved through ``GuardedResolver`` (every address vetted, the answer kept
``VETTED_ADDRESS_TTL``) and the connection goes to a vetted address, never a name, so a
DNS answer that changes afterwards cannot slip through; the name stays in the ``Host``
header and in TLS (SNI, and the certificate checked for it). An IP literal, as this
URL parser reads it, is checked by the guard itself. Redirects are not followed, no
proxy is read from the environment, no cookie is kept, nothing is decompressed (none
is asked for); the connect and total timeouts hold, the answer's body included, and at
most ``RESPONSE_BODY_LIMIT`` bytes of it are read.

Idle connections are kept per (scheme, name, port), ``idle_per_host`` of them,
each for at most ``IDLE_KEEP`` seconds (under the keep-alive time of most servers:
nginx 75 s, Node 5 s). A kept connection the server closed before a byte of the answer
came back is a race every pooling client has; the request goes once more, on a new
connection. ``transport.py`` says what every transport keeps to.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Final

from multidict import CIMultiDict
from yarl import URL

from switchboard.config.errors import UsageError
from switchboard.integrations import DeliveryRequest, DeliveryResponse

from ..errors import BlockedAddressError
from .exchange import Exchange
from .h1_connection import ConnectionClosedError, H1Connection, MalformedAnswerError
from .h1_pool import ConnectionPool, Origin
from .ssrf import GuardedResolver
from .transport import (
    RESPONSE_BODY_LIMIT,
    USER_AGENT,
    VETTED_ADDRESS_TTL,
    TransportParts,
    answered,
    blocked,
    cannot_connect,
    failed,
    invalid_url,
    ip_literal,
    os_reason,
    timed_out,
)
from .vocabulary import ErrorClass

__all__ = ["HttptoolsTransport"]

#: Seconds an idle connection is kept for its next request.
IDLE_KEEP: Final = 4.0
#: Parsed URLs kept: one per configuration's endpoint in play.
URLS_KEPT: Final = 4096

#: A header name is a token (RFC 9110 5.1); a value has no line break and no NUL.
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE: Final = re.compile(r"[\r\n\x00]")
_WITH_BODY: Final = frozenset({"POST", "PUT", "PATCH"})


class HttptoolsTransport:
    def __init__(self, parts: TransportParts) -> None:
        self._parts = parts
        self._timeouts = parts.timeouts
        self._resolver = GuardedResolver(parts.policy, parts.resolver)
        self._ssl = parts.ssl_context()
        self._pool: ConnectionPool | None = None
        #: name -> (vetted addresses, until when they are used, monotonic).
        self._vetted: dict[str, tuple[list[str], float]] = {}
        self._urls: dict[str, _Target] = {}

    async def __aenter__(self) -> HttptoolsTransport:
        self._pool = ConnectionPool(idle_per_origin=self._parts.idle_per_host, idle_keep=IDLE_KEEP)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        await self._resolver.close()

    async def send(
        self, host: str, request: DeliveryRequest, headers: Mapping[str, str]
    ) -> Exchange:
        pool = self._pool
        if pool is None:
            raise UsageError("HttptoolsTransport is not open: use `async with`")
        started = time.perf_counter()
        try:
            target = self._target(request.url)
            data = _request_bytes(request, target, headers)
        except ValueError as exc:
            return invalid_url(host, exc)
        try:
            status, raw_headers, body = await self._exchange(pool, target, data, request, started)
        except TimeoutError:
            return timed_out(host, self._timeouts, started)
        except BlockedAddressError as exc:
            return blocked(host, exc)
        except (ConnectionClosedError, MalformedAnswerError) as exc:
            return failed(host, ErrorClass.PROTOCOL, str(exc), started)
        except OSError as exc:
            return cannot_connect(host, os_reason(exc), started)
        response = DeliveryResponse(status, _headers(raw_headers), body)
        return answered(host, response, started)

    async def _exchange(
        self,
        pool: ConnectionPool,
        target: _Target,
        data: bytes,
        request: DeliveryRequest,
        started: float,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Within the total timeout: on a kept connection, the connection's own timer;
        on a new one, ``asyncio.timeout()`` around resolving, connecting and the answer."""
        head_only = request.method == "HEAD"
        total = self._timeouts.total
        connection = pool.take(target.origin)
        if connection is not None:  # kept alive: the server may have closed it meanwhile
            try:
                return await self._on(pool, target.origin, connection, data, head_only, total)
            except ConnectionClosedError as exc:
                if exc.answered:
                    raise
        async with asyncio.timeout(total - (time.perf_counter() - started)):
            addresses = await self._addresses(target)
            connection = await self._connect(target, addresses)
            return await self._on(pool, target.origin, connection, data, head_only, None)

    async def _on(
        self,
        pool: ConnectionPool,
        origin: Origin,
        connection: H1Connection,
        data: bytes,
        head_only: bool,
        within: float | None,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """``within``: seconds for the answer, on the connection's own timer (``None``:
        the caller's ``asyncio.timeout()`` holds)."""
        try:
            answer = await connection.request(data, head_only=head_only, timeout=within)
        except BaseException:
            connection.close()  # cancelled or timed out mid-answer: it cannot carry another
            raise
        pool.give_back(origin, connection)
        return answer

    async def _connect(self, target: _Target, addresses: list[str]) -> H1Connection:
        loop = asyncio.get_running_loop()
        tls = self._ssl if target.tls else None
        error: OSError = OSError("no address")
        for address in addresses:  # all vetted: the first that answers
            try:
                async with asyncio.timeout(self._timeouts.connect):
                    _, connection = await loop.create_connection(
                        lambda: H1Connection(RESPONSE_BODY_LIMIT),
                        address,
                        target.origin.port,
                        ssl=tls,
                        server_hostname=target.origin.name if tls else None,
                    )
            except OSError as exc:
                error = exc
                continue
            return connection
        raise error

    async def _addresses(self, target: _Target) -> list[str]:
        name = target.origin.name
        literal = ip_literal(name)
        if literal is not None:
            refused = self._parts.policy.check_literal(literal)
            if refused is not None:
                raise refused
            return [literal]
        now = time.monotonic()
        known = self._vetted.get(name)
        if known is not None and known[1] > now:
            return known[0]
        results = await self._resolver.resolve(name, target.origin.port)  # raises if refused
        addresses = list(dict.fromkeys(result["host"] for result in results))
        self._vetted[name] = (addresses, now + VETTED_ADDRESS_TTL)
        return addresses

    def _target(self, url: str) -> _Target:
        target = self._urls.get(url)
        if target is None:
            target = _Target.parse(url)
            if len(self._urls) >= URLS_KEPT:
                self._urls.clear()
            self._urls[url] = target
        return target


class _Target:
    """A URL as a request needs it: where to connect, and the request line's start."""

    __slots__ = ("head", "origin", "tls")

    def __init__(self, origin: Origin, *, tls: bool, head: str) -> None:
        self.origin = origin
        self.tls = tls
        self.head = head

    @classmethod
    def parse(cls, url: str) -> _Target:
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.raw_host:
            raise ValueError("not an http(s) URL with a host")
        port = parsed.port
        assert port is not None  # yarl: the scheme's default when the URL has none
        host = parsed.raw_host
        authority = f"[{host}]" if ":" in host else host
        if not parsed.is_default_port():
            authority = f"{authority}:{port}"
        target = parsed.raw_path_qs or "/"
        if _BAD_VALUE.search(target) or " " in target:
            raise ValueError("the URL's path cannot go in a request line")
        origin = Origin(scheme=parsed.scheme, name=host, port=port)
        head = f" {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n"
        return cls(origin, tls=parsed.scheme == "https", head=head)


def _request_bytes(request: DeliveryRequest, target: _Target, headers: Mapping[str, str]) -> bytes:
    if not _is_token(request.method):
        raise ValueError("the method is not a token")
    lines = [request.method, target.head, "Accept: */*\r\n"]
    for name, value in headers.items():
        if not _is_token(name):
            raise ValueError("a header name or value cannot go in a request")
        lines.append(f"{name}: {value}\r\n")
    if _BAD_VALUE.search("".join(headers.values())):  # one scan of all the values
        raise ValueError("a header name or value cannot go in a request")
    body = request.body
    if body or request.method in _WITH_BODY:
        lines.append(f"Content-Length: {len(body)}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode() + body


@functools.lru_cache(maxsize=URLS_KEPT)
def _is_token(text: str) -> bool:
    """Whether ``text`` is a token; kept, as every request of a delivery sends the same few
    names (``_TOKEN``, one match a header a request, was 1%)."""
    return _TOKEN.fullmatch(text) is not None


def _headers(raw: list[tuple[bytes, bytes]]) -> CIMultiDict[str]:
    """As text; a value past ASCII is read as Latin-1 (RFC 9110's obs-text), never refused."""
    return CIMultiDict((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)
