"""``ReqwestTransport``: one HTTP request and its answer, through pyreqwest (Rust's reqwest).

reqwest resolves names itself, past any guard, so the transport resolves each name
first, through ``GuardedResolver`` (every address it returns vetted, the answer kept
``VETTED_ADDRESS_TTL``), and sends to that name with a client pinned to the vetted
address (reqwest's ``resolve`` override): the connection can go nowhere else, while the
URL keeps the name for the ``Host`` header, SNI and the certificate check. One pinned
client a name and address, each with its own pool of kept-alive connections; IP
literals (vetted by the ``Attempter`` before) share one client that resolves nothing.
A name with several addresses is sent to the first: all were vetted, and a reqwest
client pinned to one cannot fall back to the next as aiohttp's connector does.

Redirects are not followed, no proxy is read from the environment, no cookie is kept,
bodies are not decompressed, and an answer is read up to ``RESPONSE_BODY_LIMIT`` bytes,
all within the total timeout. ``transport.py`` says what every transport keeps to.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Final

from multidict import CIMultiDict
from pyreqwest import exceptions as reqwest_errors
from pyreqwest.client import Client, ClientBuilder
from pyreqwest.http import Url
from pyreqwest.response import Response, ResponseBodyReader

from switchboard.config.errors import UsageError
from switchboard.integrations import DeliveryRequest, DeliveryResponse

from ..errors import BlockedAddressError
from .exchange import Exchange
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

__all__ = ["ReqwestTransport"]

#: Pinned clients kept (the least recently used beyond it are let go): one a host this
#: worker sends to, so enough for every configuration a busy worker has in play.
PINNED_CLIENTS_MAX: Final = 1024


class ReqwestTransport:
    def __init__(self, parts: TransportParts) -> None:
        self._parts = parts
        self._resolver = GuardedResolver(parts.policy, parts.resolver)
        self._ca_pem = parts.ca_bundle.read_bytes() if parts.ca_bundle else None
        #: (name, address) -> its pinned client; "" for IP literals.
        self._clients: OrderedDict[tuple[str, str], Client] = OrderedDict()
        #: name -> (vetted address, until when it is used, monotonic).
        self._vetted: dict[str, tuple[str, float]] = {}
        self._open = False

    async def __aenter__(self) -> ReqwestTransport:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open = False
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.close()
        await self._resolver.close()

    async def send(
        self, host: str, request: DeliveryRequest, headers: Mapping[str, str]
    ) -> Exchange:
        if not self._open:
            raise UsageError("ReqwestTransport is not open: use `async with`")
        started = time.perf_counter()
        try:
            url = Url(request.url)
        except ValueError as exc:  # a URL reqwest cannot use
            return invalid_url(host, exc)
        try:
            client = await self._client_for(url)
        except BlockedAddressError as exc:
            return blocked(host, exc)
        except OSError as exc:  # the name does not resolve
            return cannot_connect(host, os_reason(exc), started)
        try:
            builder = client.request(request.method, url)
        except ValueError as exc:
            return invalid_url(host, exc)
        streamed = builder.headers(dict(headers)).body_bytes(request.body).build_streamed()
        try:
            async with streamed as answer:
                headers = _headers(answer)
                body = await _read_limited(
                    answer.body_reader, _expected(headers, RESPONSE_BODY_LIMIT)
                )
                response = DeliveryResponse(answer.status, headers, body)
        except reqwest_errors.RequestTimeoutError:
            return timed_out(host, self._parts.timeouts, started)
        except reqwest_errors.ConnectError as exc:
            return cannot_connect(host, _reason(exc), started)
        except reqwest_errors.PyreqwestError as exc:
            return failed(host, ErrorClass.PROTOCOL, _reason(exc), started)
        return answered(host, response, started)

    async def _client_for(self, url: Url) -> Client:
        """The client for ``url``'s host as reqwest reads it (``http://0x7f.1/`` is
        127.0.0.1 to reqwest, ``%65xample.com`` is example.com): what is vetted is where
        reqwest would connect, whatever another parser made of the URL."""
        host = url.host_str or ""
        literal = ip_literal(host)
        if literal is not None:
            refused = self._parts.policy.check_literal(literal)
            if refused is not None:
                raise refused
            address = ""
        else:
            address = await self._vetted_address(host)
        key = (host if address else "", address)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = self._build(host, address)
        self._clients[key] = client
        if len(self._clients) > PINNED_CLIENTS_MAX:
            # Let go, not closed: requests still on it keep it until they end.
            self._clients.popitem(last=False)
        return client

    async def _vetted_address(self, host: str) -> str:
        now = time.monotonic()
        known = self._vetted.get(host)
        if known is not None and known[1] > now:
            return known[0]
        results = await self._resolver.resolve(host, 0)  # raises for any refused address
        address = results[0]["host"]
        self._vetted[host] = (address, now + VETTED_ADDRESS_TTL)
        return address

    def _build(self, host: str, address: str) -> Client:
        timeouts = self._parts.timeouts
        builder = (
            ClientBuilder()
            .user_agent(USER_AGENT)
            .no_proxy()
            .follow_redirects(False)
            .default_cookie_store(False)
            .gzip(False)
            .brotli(False)
            .zstd(False)
            .deflate(False)
            .connect_timeout(timedelta(seconds=timeouts.connect))
            .timeout(timedelta(seconds=timeouts.total))
            .pool_max_idle_per_host(self._parts.idle_per_host)
            # As given, as the Standard Webhooks spec spells them (webhook-id), not hyper's
            # Title-Case: a receiver reading headers case-sensitively still finds them.
            .http1_lower_case_headers()
        )
        if self._ca_pem is not None:
            builder = builder.add_root_certificate_pem(self._ca_pem)
        if address:
            # The port is the URL's: reqwest's override replaces the address alone.
            builder = builder.resolve(host, address, 0)
        return builder.build()


def _headers(answer: Response) -> CIMultiDict[str]:
    """The answer's headers; one whose value is not text (a byte past ASCII, which
    pyreqwest will not turn into a str) is left out, as no reader here could use it."""
    try:
        return CIMultiDict(answer.headers.items())
    except ValueError:  # one of them is not text: the slow way, header by header
        pass
    headers: CIMultiDict[str] = CIMultiDict()
    for name in dict.fromkeys(answer.headers.keys()):
        try:
            values = answer.get_header_all(name)
        except ValueError:
            continue
        for value in values:
            headers.add(name, value)
    return headers


def _expected(headers: CIMultiDict[str], limit: int) -> int:
    """How much of the body to read: its Content-Length when that is less than ``limit``,
    so that a short body takes one read, not a second one to find its end."""
    try:
        return min(limit, int(headers.get("Content-Length", limit)))
    except ValueError:
        return limit


async def _read_limited(reader: ResponseBodyReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await reader.read(limit - size)
        if not chunk:
            break
        chunks.append(bytes(chunk))
        size += len(chunks[-1])
    return b"".join(chunks)


def _reason(exc: reqwest_errors.PyreqwestError) -> str:
    """The innermost cause in reqwest's words, without the URL its outer causes name."""
    details = getattr(exc, "details", None) or {}
    causes: list[str] = [str(c.get("message", "")) for c in details.get("causes") or ()]
    for message in reversed(causes):
        if message and "://" not in message and "url" not in message.lower():
            return message.split(" (os error")[0]
    return str(exc.args[0]) if exc.args else type(exc).__name__
