"""``Attempter``: one attempt of one request, as far as the wire and back.

In order: the SSRF guard's check of an IP-literal host (aiohttp does not resolve
those; names are checked by the resolver), the Standard Webhooks headers, a slot
of the retry lane when it is a retry, the host gate (``HostSlots``), and the
transport. The result is an ``Exchange``, or the host gate's ``Wait`` when no
slot was free and the caller may come back later (``may_defer``). Nothing here
records anything: the engine (``engine.py``) does.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from types import TracebackType
from urllib.parse import SplitResult, urlsplit

from switchboard.config import Settings
from switchboard.integrations import (
    DeliveryOutcome,
    DeliveryRequest,
    DeliveryResult,
    Event,
    IntegrationConfig,
    delivery_id,
)

from .exchange import Exchange
from .host_slots import HostSlots
from .log_line import log_delivery
from .signatures import standard_headers
from .slots import Slots
from .ssrf import AddressPolicy
from .transport import TransportParts, open_transport
from .tuning import DeliveryTuning
from .vocabulary import ErrorClass, Wait

__all__ = ["Attempter"]


class Attempter:
    """Opened with ``async with`` (its transport's session). Also a ``Deliverer`` of its
    own (``deliver``: one attempt, logged, recorded nowhere), for tools and tests that
    want requests made without the engine."""

    def __init__(
        self,
        tuning: DeliveryTuning,
        policy: AddressPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._transport = open_transport(
            tuning.client.client,
            TransportParts(
                timeouts=tuning.timeouts,
                policy=policy,
                idle_per_host=tuning.limits.per_host,
                ca_bundle=tuning.client.ca_bundle,
            ),
        )
        self._hosts = HostSlots(
            tuning.limits,
            min_wait=tuning.first_attempts.host_busy_delay,
            max_wait=tuning.timeouts.total,
        )

    @classmethod
    def for_settings(cls, settings: Settings) -> Attempter:
        return cls(DeliveryTuning.from_settings(settings), AddressPolicy(settings.allow_cidrs))

    async def __aenter__(self) -> Attempter:
        await self._transport.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._transport.__aexit__(exc_type, exc, traceback)

    async def deliver(
        self, config: IntegrationConfig, event: Event, request: DeliveryRequest
    ) -> DeliveryResult:
        the_id = delivery_id(event.id, config.id, request.key)
        exchange = await self.attempt(config, the_id, request)
        assert isinstance(exchange, Exchange)  # not may_defer: it waits for its slots
        outcome = DeliveryOutcome.DELIVERED if exchange.ok else DeliveryOutcome.FAILED
        result = exchange.result(the_id, outcome, 1)
        log_delivery(result, config, event.id, exchange.host)
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
    ) -> Exchange | Wait:
        """Make the request once. ``lane``: a further limit (the retry lane's).

        ``may_defer``: come back later (a ``Wait``, no request made) rather than queue for
        a slow host's slots, or for any slot longer than ``HttpLimits.queue_wait_max``.
        ``sending_since`` is told (appended to) when the request goes on the wire.
        """
        host, origin = _host_and_origin(request.url)
        blocked = self._policy.check_literal(host)
        if blocked is not None:
            return Exchange(
                host=host, error=str(blocked), error_class=ErrorClass.BLOCKED, permanent=True
            )
        headers = standard_headers(config, the_id, request, self._clock())
        if lane is not None:
            await lane.acquire()
        try:
            wait = await self._hosts.enter(origin, tenant=config.tenant, may_defer=may_defer)
            if wait is not None:
                return wait
            try:
                if sending_since is not None:
                    sending_since.append(time.monotonic())
                return await self._transport.send(host, request, headers)
            finally:
                self._hosts.leave(origin, tenant=config.tenant)
        finally:
            if lane is not None:
                lane.release()


@functools.lru_cache(maxsize=4096)
def _host_and_origin(url: str) -> tuple[str, str]:
    """The URL's host, and its origin (connections are pooled per origin): parsed once a
    URL, as every delivery to a configuration has the same."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, f"{host}:{_port(parts)}"


def _port(parts: SplitResult) -> int | str:
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed port: aiohttp refuses the URL in a moment
        return "?"
