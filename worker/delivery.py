"""The delivery engine: how ``Integration.send()`` reaches the network.

One aiohttp session per worker process, opened with ``async with``, pools
connections for every integration. Two limits keep one endpoint from taking
everything: at most ``http_max_connections`` requests at once in all, and
``http_max_connections_per_host`` to any one host. The limits are our own
semaphores rather than the connector's, so that the request timeout counts
the attempt only, not the time spent waiting for a free slot.

Every attempt carries the Standard Webhooks headers: ``webhook-id`` (the
delivery id, the receiver's idempotency key), ``webhook-timestamp`` and,
when the integration has signing secrets for the configuration,
``webhook-signature``.

Redirects are not followed (a 3xx is a failure: a webhook URL that moved
should be updated, and following it would carry the payload somewhere
nobody configured). Only 2xx is success.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Final
from urllib.parse import SplitResult, urlsplit

import aiohttp

from switchboard.config import Settings
from switchboard.integrations import (
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResponse,
    DeliveryResult,
    Event,
    IntegrationConfig,
    delivery_id,
    secret_key,
    signature_header,
)

from .logs import fields
from .slots import Slots
from .ssrf import AddressPolicy, BlockedAddressError, GuardedResolver

__all__ = [
    "QUEUE_WAIT_MAX",
    "RESPONSE_BODY_LIMIT",
    "SLOW_HOST_AFTER",
    "Attempted",
    "HttpDeliverer",
    "log_delivery",
]

logger = logging.getLogger(__name__)

#: How much of a response body is kept (for the attempt log and the integration).
RESPONSE_BODY_LIMIT: Final = 4096


@dataclass(frozen=True, slots=True)
class Attempted:
    """What one attempt came to. ``error_class``: None (2xx), http, timeout, connect,
    blocked, invalid_url or protocol."""

    host: str
    response: DeliveryResponse | None
    error: str | None
    error_class: str | None
    duration: float
    permanent: bool = False
    #: ``host_busy`` only: how long the host's oldest request in flight has been out (s).
    busy_for: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self, the_id: str, outcome: DeliveryOutcome, attempt: int) -> DeliveryResult:
        return DeliveryResult(
            the_id, outcome, attempt, self.duration, self.response, self.error, self.permanent
        )


def log_delivery(
    result: DeliveryResult, config: IntegrationConfig, event_id: str, host: str
) -> None:
    """The one line per delivery outcome: ids and the host, never the URL (it can hold a
    secret, as a Slack webhook's does) or the payload."""
    level = logging.INFO if result.error is None else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    response = result.response
    log_fields = fields(
        delivery_id=result.delivery_id,
        event_id=event_id,
        integration=config.integration_id,
        config_id=config.id,
        host=host,
        attempt=result.attempt,
        status=response.status if response is not None else None,
        ms=round(result.duration * 1000, 1),
        error=result.error,
    )
    logger.log(level, "delivery %s", result.outcome.value, extra=log_fields)


class HttpDeliverer:
    """The ``Deliverer`` a worker plugs into its ``IntegrationManager``."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(
            total=settings.http_timeout, sock_connect=settings.http_connect_timeout
        )
        self._total_timeout = settings.http_timeout
        self._slots = Slots(settings.http_max_connections)
        per_host = settings.http_max_connections_per_host
        self._origins: defaultdict[str, _Origin] = defaultdict(lambda: _Origin(per_host))
        self._session: aiohttp.ClientSession | None = None
        self._policy = AddressPolicy(settings.allow_cidrs)

    async def __aenter__(self) -> HttpDeliverer:
        connector = aiohttp.TCPConnector(
            limit=0,
            limit_per_host=0,
            ttl_dns_cache=300,
            resolver=GuardedResolver(self._policy),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            headers={"User-Agent": "Switchboard-Webhooks/0.1"},
            # Keep no cookies: one endpoint's cookies must never reach another.
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

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        """One attempt, logged, recorded nowhere: the engine (``worker.engine``) adds the rest."""
        the_id = delivery_id(event.id, config.id, request.key)
        attempted = await self.attempt(config, the_id, request)
        outcome = DeliveryOutcome.DELIVERED if attempted.ok else DeliveryOutcome.FAILED
        result = attempted.result(the_id, outcome, 1)
        log_delivery(result, config, event.id, attempted.host)
        return result

    async def attempt(
        self,
        config: IntegrationConfig,
        the_id: str,
        request: DeliveryRequest,
        *,
        lane: Slots | None = None,
        may_defer: bool = False,
        sending_since: list[float] | None = None,
    ) -> Attempted:
        """Make the request once. ``lane``: a further limit (the retry lane's).

        ``may_defer``: give up (error class ``host_busy``, no request made) rather than
        queue for a slow host's slots, or for any slot longer than ``QUEUE_WAIT_MAX``.
        """
        session = self._session
        if session is None:
            raise RuntimeError("HttpDeliverer is not open: use `async with`")
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        blocked = self._policy.check_literal(host)
        if blocked is not None:  # aiohttp does not resolve IP literals: check them here
            return Attempted(host, None, str(blocked), "blocked", 0.0, permanent=True)
        headers = self._standard_headers(config, the_id, request)
        if lane is not None:
            await lane.acquire()
        try:
            # Per origin (host and port), as connections are pooled; the host's slot
            # first, so that waiting for a busy host holds none of the worker's slots.
            origin = self._origins[f"{host}:{_port(parts)}"]
            if not await origin.acquire(may_defer):
                return Attempted(host, None, "the host is slow: all its slots are taken",
                                 "host_busy", 0.0, busy_for=origin.oldest_age())  # fmt: skip
            try:
                if not await self._slots.acquire_within(QUEUE_WAIT_MAX if may_defer else None):
                    return Attempted(host, None, "the worker is busy", "host_busy", 0.0)
                try:
                    if sending_since is not None:  # tells the caller it is on its way
                        sending_since.append(time.monotonic())
                    return await self._send(session, host, request, headers)
                finally:
                    self._slots.release()
            finally:
                origin.release()
        finally:
            if lane is not None:
                lane.release()

    async def _send(
        self,
        session: aiohttp.ClientSession,
        host: str,
        request: DeliveryRequest,
        headers: dict[str, str],
    ) -> Attempted:
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
            error = f"timed out after {self._total_timeout:g} s"
            return Attempted(host, None, error, "timeout", time.perf_counter() - started)
        except aiohttp.ClientConnectorError as exc:
            duration = time.perf_counter() - started
            if isinstance(exc.os_error, BlockedAddressError):
                error = str(exc.os_error)
                return Attempted(host, None, error, "blocked", duration, permanent=True)
            error = _describe_client_error(exc)
            return Attempted(host, None, error, "connect", duration)
        except (aiohttp.InvalidURL, ValueError) as exc:  # yarl: a URL aiohttp cannot use
            error = f"invalid URL: {type(exc).__name__}"
            return Attempted(host, None, error, "invalid_url", 0.0, permanent=True)
        except aiohttp.ClientError as exc:
            error = _describe_client_error(exc)
            return Attempted(host, None, error, "protocol", time.perf_counter() - started)
        duration = time.perf_counter() - started
        if not response.ok:
            return Attempted(host, response, f"HTTP {response.status}", "http", duration)
        return Attempted(host, response, None, None, duration)

    def _standard_headers(
        self, config: IntegrationConfig, the_id: str, request: DeliveryRequest
    ) -> dict[str, str]:
        now = self._clock()
        timestamp = int(now)
        headers = {**request.headers, "webhook-id": the_id, "webhook-timestamp": str(timestamp)}
        secrets = config.integration.signing_secrets(config, datetime.fromtimestamp(now, UTC))
        if secrets:
            keys = [_signing_key(secret) for secret in secrets]
            headers["webhook-signature"] = signature_header(keys, the_id, timestamp, request.body)
        return headers


#: A host whose oldest request in flight is older than this (seconds) counts as slow.
SLOW_HOST_AFTER: Final = 1.0
#: The longest an attempt queues for a slot (of its host, or of the worker) before the
#: engine defers it: so that a first attempt, and the job it is part of, always ends
#: well within the handler timeout, however big the backlog.
QUEUE_WAIT_MAX: Final = 5.0


class _Origin:
    """One host:port's slots, and when each request in flight started."""

    __slots__ = ("in_flight", "slots")

    def __init__(self, limit: int) -> None:
        self.slots = Slots(limit)
        # Start times of the requests in flight: appended in order, so the oldest is first.
        self.in_flight: deque[float] = deque()

    async def acquire(self, may_defer: bool) -> bool:
        """A slot, or ``False`` to defer: at once when every slot is taken and the host is
        slow (its oldest request in flight is over ``SLOW_HOST_AFTER`` old), else after
        ``QUEUE_WAIT_MAX``. Without ``may_defer``: wait as long as it takes."""
        if may_defer and self.slots.full() and self._slow():
            return False
        if not await self.slots.acquire_within(QUEUE_WAIT_MAX if may_defer else None):
            return False
        self.in_flight.append(time.monotonic())
        return True

    def _slow(self) -> bool:
        return self.oldest_age() > SLOW_HOST_AFTER

    def oldest_age(self) -> float:
        """How long the oldest request in flight has been out (0 if none is)."""
        return time.monotonic() - self.in_flight[0] if self.in_flight else 0.0

    def release(self) -> None:
        self.in_flight.popleft()  # which one ended does not matter: the oldest start goes
        self.slots.release()


def _port(parts: SplitResult) -> int | str:
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed port: aiohttp refuses the URL in a moment
        return "?"


@functools.lru_cache(maxsize=1024)
def _signing_key(secret: str) -> bytes:
    return secret_key(secret)


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
