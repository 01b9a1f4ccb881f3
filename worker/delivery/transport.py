"""``HttpTransport``: one HTTP request and its answer, over one pooled aiohttp session.

The session is opened with ``async with``: keep-alive connections pooled for every
integration, no cookies (one endpoint's must never reach another), the timeouts of
``HttpTimeouts``, names resolved through the SSRF guard (``ssrf.GuardedResolver``:
aiohttp connects only to the addresses it vetted, keeping the name for the ``Host``
header and TLS). Redirects are not followed (a 3xx is a failure: following it would
carry the payload somewhere nobody configured); only 2xx is success; the first
``RESPONSE_BODY_LIMIT`` bytes of an answer are kept. ``send`` never raises for a
failed request: it classifies it (``ErrorClass``) in an ``Exchange``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Final

import aiohttp

from switchboard.config.errors import UsageError
from switchboard.integrations import DeliveryRequest, DeliveryResponse

from ..errors import BlockedAddressError
from .exchange import Exchange
from .ssrf import AddressPolicy, GuardedResolver
from .tuning import HttpTimeouts
from .vocabulary import ErrorClass

__all__ = ["RESPONSE_BODY_LIMIT", "USER_AGENT", "HttpTransport"]

#: How much of a response body is kept (for the attempt log and the integration).
RESPONSE_BODY_LIMIT: Final = 4096
USER_AGENT: Final = "Switchboard-Webhooks/0.1"


class HttpTransport:
    def __init__(self, timeouts: HttpTimeouts, policy: AddressPolicy) -> None:
        self._timeouts = timeouts
        self._policy = policy
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpTransport:
        # The connector's own limits are off: ours (``HostSlots``) count the attempt only,
        # so that the timeout measures the request, not the wait for a free slot.
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=0, ttl_dns_cache=300, resolver=GuardedResolver(self._policy)
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
            raise UsageError("HttpTransport is not open: use `async with`")
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
            return Exchange(
                host=host,
                error=f"timed out after {self._timeouts.total:g} s",
                error_class=ErrorClass.TIMEOUT,
                duration=time.perf_counter() - started,
            )
        except aiohttp.ClientConnectorError as exc:
            duration = time.perf_counter() - started
            if isinstance(exc.os_error, BlockedAddressError):
                return Exchange(
                    host=host,
                    error=str(exc.os_error),
                    error_class=ErrorClass.BLOCKED,
                    duration=duration,
                    permanent=True,
                )
            return Exchange(
                host=host,
                error=_describe_client_error(exc),
                error_class=ErrorClass.CONNECT,
                duration=duration,
            )
        except (aiohttp.InvalidURL, ValueError) as exc:  # yarl: a URL aiohttp cannot use
            return Exchange(
                host=host,
                error=f"invalid URL: {type(exc).__name__}",
                error_class=ErrorClass.INVALID_URL,
                permanent=True,
            )
        except aiohttp.ClientError as exc:
            return Exchange(
                host=host,
                error=_describe_client_error(exc),
                error_class=ErrorClass.PROTOCOL,
                duration=time.perf_counter() - started,
            )
        duration = time.perf_counter() - started
        if not response.ok:
            return Exchange(
                host=host,
                response=response,
                error=f"HTTP {response.status}",
                error_class=ErrorClass.HTTP,
                duration=duration,
            )
        return Exchange(host=host, response=response, duration=duration)


async def _read_limited(stream: aiohttp.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _describe_client_error(exc: aiohttp.ClientError) -> str:
    """A reason without the URL: aiohttp's messages can contain it."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or type(exc.os_error).__name__}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the response body was malformed"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    return type(exc).__name__
