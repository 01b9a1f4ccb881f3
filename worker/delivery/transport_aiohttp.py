"""``AiohttpTransport``: one HTTP request and its answer, over one pooled aiohttp session.

The session is opened with ``async with``: keep-alive connections pooled for every
integration, no cookies (one endpoint's must never reach another), the timeouts of
``HttpTimeouts``, names resolved through the SSRF guard (``ssrf.GuardedResolver``:
aiohttp connects only to the addresses it vetted, keeping the name for the ``Host``
header and TLS). Redirects are not followed (a 3xx is a failure: following it would
carry the payload somewhere nobody configured); only 2xx is success; the first
``RESPONSE_BODY_LIMIT`` bytes of an answer are kept. ``send`` never raises for a
failed request: it classifies it (``ErrorClass``) in an ``Exchange``.

The transport behind ``SWITCHBOARD_HTTP_CLIENT=aiohttp``; ``transport.py`` says what
every transport keeps to.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType

import aiohttp

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
    os_reason,
    timed_out,
)
from .vocabulary import ErrorClass

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    def __init__(self, parts: TransportParts) -> None:
        self._timeouts = parts.timeouts
        self._parts = parts
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AiohttpTransport:
        # The connector's own limits are off: ours (``HostSlots``) count the attempt only,
        # so that the timeout measures the request, not the wait for a free slot.
        parts = self._parts
        connector = aiohttp.TCPConnector(
            limit=0,
            limit_per_host=0,
            ttl_dns_cache=int(VETTED_ADDRESS_TTL),
            resolver=GuardedResolver(parts.policy, parts.resolver),
            ssl=parts.ssl_context(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self._timeouts.total, sock_connect=self._timeouts.connect
            ),
            headers={"User-Agent": USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, host: str, request: DeliveryRequest, headers: Mapping[str, str]
    ) -> Exchange:
        session = self._session
        if session is None:
            raise UsageError("AiohttpTransport is not open: use `async with`")
        started = time.perf_counter()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body,
                headers=headers,
                allow_redirects=False,
            ) as answer:
                body = await _read_limited(answer.content, RESPONSE_BODY_LIMIT)
                response = DeliveryResponse(answer.status, answer.headers, body)
        except TimeoutError:
            return timed_out(host, self._timeouts, started)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddressError):
                return blocked(host, exc.os_error)
            return cannot_connect(host, os_reason(exc.os_error), started)
        except (aiohttp.InvalidURL, ValueError) as exc:  # yarl: a URL aiohttp cannot use
            return invalid_url(host, exc)
        except aiohttp.ClientError as exc:
            return failed(host, ErrorClass.PROTOCOL, _describe_client_error(exc), started)
        return answered(host, response, started)


async def _read_limited(stream: aiohttp.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    # at_eof: a short answer, all of it read, is read once (not once more to see the end).
    while size < limit and not stream.at_eof():
        chunk = await stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _describe_client_error(exc: aiohttp.ClientError) -> str:
    """A reason without the URL: aiohttp's messages can contain it."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the response body was malformed"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    return type(exc).__name__
