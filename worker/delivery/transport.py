"""The transport: the seam between the delivery path and an HTTP client.

A ``Transport`` is opened with ``async with`` and sends one request at a time per call:
``send(host, request, headers)`` returns an ``Exchange`` (the status, headers and first
``RESPONSE_BODY_LIMIT`` bytes of the answer and its duration, or a classified error) and
never raises for a failed request. Three implement it, chosen by
``SWITCHBOARD_HTTP_CLIENT``:

* ``httptools`` (``transport_httptools.py``, the default): HTTP/1.1 written on the event
  loop's own connections (``H1Connection``, pooled by ``ConnectionPool``) and parsed by
  llhttp. A delivery costs the worker about 0.05 ms less CPU than through aiohttp's client
  (0.12 against 0.17 ms at fan-out 10, ``docs/performance.md``): no stream, task, timer
  or header multidict per request on the way out;
* ``aiohttp`` (``transport_aiohttp.py``): aiohttp's client, the default before;
* ``reqwest`` (``transport_reqwest.py``): pyreqwest, Rust's reqwest and hyper underneath.
  From an idle process it sends twice what aiohttp's client does for half the CPU; in a
  worker whose event loop is busy with the rest of each delivery it costs more per
  delivery than aiohttp (0.41 ms against 0.27 at fan-out 10, ``docs/performance.md``).

Each keeps every guarantee, and ``tests/worker/delivery/test_transport.py`` runs the same
tests against all three: it connects only to addresses the SSRF guard vetted (a name is
resolved once through ``GuardedResolver``, and the connection goes to that address,
so a DNS answer that changes afterwards cannot slip through), with the name in the
``Host`` header and in TLS (SNI, and the certificate checked for it); it follows no
redirect; it keeps to the connect and total timeouts, the body read included; it reads
at most ``RESPONSE_BODY_LIMIT`` bytes of an answer; it keeps no cookie and uses no
proxy from the environment; it reuses connections. The number of requests at once, in
all and per host, is ``HostSlots``' to count, before the transport is reached.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Protocol

from aiohttp.abc import AbstractResolver

from switchboard.integrations import DeliveryRequest, DeliveryResponse

from .exchange import Exchange
from .ssrf import AddressPolicy
from .tuning import HttpClient, HttpTimeouts
from .vocabulary import ErrorClass

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "USER_AGENT",
    "VETTED_ADDRESS_TTL",
    "Transport",
    "TransportParts",
    "answered",
    "blocked",
    "cannot_connect",
    "failed",
    "invalid_url",
    "ip_literal",
    "open_transport",
    "os_reason",
    "timed_out",
]

#: How much of a response body is kept (for the attempt log and the integration).
RESPONSE_BODY_LIMIT: Final = 4096
USER_AGENT: Final = "Switchboard-Webhooks/0.1"
#: Seconds a name's vetted address is used before the name is resolved (and vetted) again.
VETTED_ADDRESS_TTL: Final = 300.0


class Transport(Protocol):
    async def __aenter__(self) -> Transport: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def send(
        self, host: str, request: DeliveryRequest, headers: Mapping[str, str]
    ) -> Exchange: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportParts:
    """What a transport is made of, whichever client it is."""

    timeouts: HttpTimeouts
    policy: AddressPolicy
    #: Idle connections kept to one host (as many as may be busy at once).
    idle_per_host: int = 10
    #: Certificate authorities trusted besides the system's (``SWITCHBOARD_HTTP_CA_BUNDLE``).
    ca_bundle: Path | None = None
    #: Where names are resolved before the guard vets them (tests: a fixed table).
    resolver: AbstractResolver | None = None

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_bundle is not None:
            context.load_verify_locations(cafile=self.ca_bundle)
        return context


def open_transport(client: HttpClient, parts: TransportParts) -> Transport:
    """The transport of ``client``, not yet opened."""
    if client == "httptools":
        from .transport_httptools import HttptoolsTransport

        return HttptoolsTransport(parts)
    if client == "reqwest":
        from .transport_reqwest import ReqwestTransport

        return ReqwestTransport(parts)
    from .transport_aiohttp import AiohttpTransport

    return AiohttpTransport(parts)


def failed(
    host: str,
    error_class: ErrorClass,
    error: str,
    started: float | None = None,
    *,
    permanent: bool = False,
) -> Exchange:
    """A request that got no answer; ``started``: its ``perf_counter`` at the start (``None``:
    it never went out). ``error`` holds no URL: a URL's query may hold a secret."""
    duration = 0.0 if started is None else time.perf_counter() - started
    return Exchange(
        host=host, error=error, error_class=error_class, duration=duration, permanent=permanent
    )


def timed_out(host: str, timeouts: HttpTimeouts, started: float) -> Exchange:
    return failed(host, ErrorClass.TIMEOUT, f"timed out after {timeouts.total:g} s", started)


def blocked(host: str, exc: Exception) -> Exchange:
    """The guard refused the host's address: no retry can help."""
    return failed(host, ErrorClass.BLOCKED, str(exc), permanent=True)


def invalid_url(host: str, exc: Exception) -> Exchange:
    return failed(
        host, ErrorClass.INVALID_URL, f"invalid URL: {type(exc).__name__}", permanent=True
    )


def cannot_connect(host: str, reason: str, started: float) -> Exchange:
    return failed(host, ErrorClass.CONNECT, f"cannot connect: {reason}", started)


def answered(host: str, response: DeliveryResponse, started: float) -> Exchange:
    """An answer: a success, or an HTTP error (only 2xx is success; a 3xx is not followed)."""
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


def ip_literal(host: str) -> str | None:
    """``host`` as an IP address's text, if it is one (IPv6 with or without brackets)."""
    bare = host[1:-1] if host.startswith("[") else host
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        return None


def os_reason(error: OSError) -> str:
    """An OS error in its system's words ("Connection refused"), never with an address
    (asyncio's "Connect call failed ('10.0.0.1', 80)" has one)."""
    if isinstance(error, socket.gaierror):
        return error.strerror or "the name does not resolve"
    if error.errno:
        return os.strerror(error.errno)
    return type(error).__name__
