"""Every transport keeps every guarantee (``transport.py``): the same tests, run against
the httptools, the reqwest and the aiohttp one, with real servers on loopback and names
resolved by a fixed table, so that only the transport's own choices decide where a request goes."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from switchboard.config.errors import UsageError
from switchboard.integrations import DeliveryRequest
from switchboard.worker.delivery import AddressPolicy, ErrorClass, Exchange, HttpTimeouts
from switchboard.worker.delivery.transport import (
    RESPONSE_BODY_LIMIT,
    TransportParts,
    open_transport,
)
from switchboard.worker.delivery.tuning import HttpClient

NAME = "hooks.example.test"  # in no DNS but the table's
LOOPBACK = AddressPolicy([ipaddress.ip_network("127.0.0.0/8")])
TIMEOUTS = HttpTimeouts(connect=2.0, total=0.5)

pytestmark = pytest.mark.parametrize("client", ["httptools", "reqwest", "aiohttp"])


class FixedResolver(AbstractResolver):
    """Names from a table; what the guard vets. ``lookups`` counts the questions."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = self.table[host]
        return [
            ResolveResult(
                hostname=host, host=address, port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        pass


@dataclass
class Server:
    port: int
    seen: list[web.Request] = field(default_factory=list)
    peers: set[object] = field(default_factory=set)

    def url(self, path: str = "/", host: str = NAME, scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def server(
    handler: Handler | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[Server]:
    record = Server(port=0)

    async def handle(request: web.Request) -> web.StreamResponse:
        record.seen.append(request)
        record.peers.add(
            request.transport.get_extra_info("peername") if request.transport else None
        )
        await request.read()
        if handler is not None:
            return await handler(request)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", handle)
    # Handlers still hanging at the end are cancelled at once, not after aiohttp's 60 s.
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls)
    await site.start()
    record.port = runner.addresses[0][1]
    try:
        yield record
    finally:
        await runner.cleanup()


def parts(policy: AddressPolicy = LOOPBACK, **more: object) -> TransportParts:
    return TransportParts(
        timeouts=TIMEOUTS,
        policy=policy,
        resolver=more.pop("resolver", FixedResolver({NAME: "127.0.0.1"})),  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


async def send(
    client: HttpClient, url: str, parts_: TransportParts | None = None, body: bytes = b"{}"
) -> Exchange:
    host = url.split("//")[1].split("/")[0].rsplit(":", 1)[0]
    async with open_transport(client, parts_ or parts()) as transport:
        return await transport.send(host, DeliveryRequest(url, body=body), {"X-Test": "1"})


async def test_a_name_goes_to_the_address_the_guard_vetted_with_its_host_header(
    client: HttpClient,
) -> None:
    async with server() as site:
        exchange = await send(client, site.url("/hook"))
    assert exchange.ok, exchange.error
    [request] = site.seen
    assert request.headers["Host"] == f"{NAME}:{site.port}"
    assert request.headers["X-Test"] == "1"
    assert request.headers["User-Agent"].startswith("Switchboard-Webhooks/")


async def test_a_name_resolving_to_a_refused_address_is_blocked_before_any_request(
    client: HttpClient,
) -> None:
    async with server() as site:
        exchange = await send(client, site.url(), parts(AddressPolicy()))
    assert exchange.error_class is ErrorClass.BLOCKED
    assert exchange.permanent
    assert "127.0.0.1" in (exchange.error or "")
    assert site.seen == []


async def test_an_ip_literal_in_another_spelling_is_blocked(client: HttpClient) -> None:
    # 0x7f.1 is 127.0.0.1 to a WHATWG URL parser (reqwest's) and to inet_aton (aiohttp's
    # resolver): whichever reads it, the guard judges the address it connects to.
    async with server() as site:
        exchange = await send(
            client, site.url(host="0x7f.1"), parts(AddressPolicy(), resolver=_system())
        )
    assert exchange.error_class is ErrorClass.BLOCKED
    assert site.seen == []


def _system() -> AbstractResolver:
    from aiohttp import ThreadedResolver

    return ThreadedResolver()


async def test_a_redirect_is_an_answer_not_followed(client: HttpClient) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        if request.path == "/from":
            raise web.HTTPFound("/to")
        return web.Response(text="followed")

    async with server(moved) as site:
        exchange = await send(client, site.url("/from"))
    assert exchange.error_class is ErrorClass.HTTP
    assert exchange.response is not None
    assert exchange.response.status == 302
    assert [r.path for r in site.seen] == ["/from"]


async def test_an_endpoint_that_never_answers_times_out_at_the_total(client: HttpClient) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with server(hang) as site:
        started = time.monotonic()
        exchange = await send(client, site.url())
        took = time.monotonic() - started
    assert exchange.error_class is ErrorClass.TIMEOUT
    assert exchange.error == "timed out after 0.5 s"
    assert TIMEOUTS.total <= took < TIMEOUTS.total + 2


async def test_a_kept_connection_that_never_answers_times_out_at_the_total(
    client: HttpClient,
) -> None:
    """The first answer keeps the connection; the second never comes on it, and times out
    at the total as on a new one; the third goes on a new connection."""

    async def hang_the_second(request: web.Request) -> web.StreamResponse:
        if request.path == "/hang":
            await asyncio.Event().wait()
        return web.Response(text="ok")

    async with server(hang_the_second) as site, open_transport(client, parts()) as transport:
        assert (await transport.send(NAME, DeliveryRequest(site.url("/")), {})).ok
        started = time.monotonic()
        # A deadline of the test's own, well past the total, so a missing timeout fails.
        hung = await asyncio.wait_for(
            transport.send(NAME, DeliveryRequest(site.url("/hang")), {}), TIMEOUTS.total + 5
        )
        took = time.monotonic() - started
        assert (await transport.send(NAME, DeliveryRequest(site.url("/")), {})).ok
    assert hung.error_class is ErrorClass.TIMEOUT
    assert hung.error == "timed out after 0.5 s"
    assert TIMEOUTS.total <= took < TIMEOUTS.total + 2
    assert len(site.peers) == 2  # the hung one was closed, not put back


async def test_a_body_that_trickles_forever_times_out_too(client: HttpClient) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b"x")
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with server(trickle) as site:
        exchange = await send(client, site.url())
    assert exchange.error_class is ErrorClass.TIMEOUT


async def test_the_answer_is_read_up_to_the_limit(client: HttpClient) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"y" * 1_000_000)

    async with server(huge) as site:
        exchange = await send(client, site.url())
    assert exchange.ok
    assert exchange.response is not None
    assert exchange.response.body == b"y" * RESPONSE_BODY_LIMIT


async def test_connections_are_reused_and_no_cookie_is_kept(client: HttpClient) -> None:
    async def cookie(request: web.Request) -> web.StreamResponse:
        response = web.Response(text="ok")
        response.set_cookie("session", "tenant-a")
        return response

    async with server(cookie) as site, open_transport(client, parts()) as transport:
        for _ in range(5):
            exchange = await transport.send(NAME, DeliveryRequest(site.url()), {})
            assert exchange.ok
    assert len(site.peers) == 1  # one connection, kept alive
    assert all("Cookie" not in r.headers for r in site.seen)


async def test_a_proxy_in_the_environment_is_not_used(
    client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with server() as proxy, server() as site:
        for variable in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        exchange = await send(client, site.url())
    assert exchange.ok
    assert proxy.seen == []
    assert len(site.seen) == 1


async def test_a_refused_connection_and_an_unknown_name_say_so_in_the_same_words(
    client: HttpClient,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = await send(client, f"http://{NAME}:{port}/")
    assert refused.error_class is ErrorClass.CONNECT
    assert refused.error == "cannot connect: Connection refused"
    unknown = await send(client, f"http://nowhere.example.test:{port}/")
    assert unknown.error_class is ErrorClass.CONNECT
    assert unknown.error == "cannot connect: Name or service not known"


async def test_a_header_that_is_not_text_is_survived(client: HttpClient) -> None:
    async def odd(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503, headers={"Retry-After": "\u00b2", "X-Ok": "fine"})

    async with server(odd) as site:
        exchange = await send(client, site.url())
    assert exchange.error_class is ErrorClass.HTTP
    assert exchange.response is not None
    assert exchange.response.headers["X-Ok"] == "fine"


async def test_an_unopened_transport_refuses_with_a_usage_error(client: HttpClient) -> None:
    transport = open_transport(client, parts())
    with pytest.raises(UsageError, match="async with"):
        await transport.send(NAME, DeliveryRequest("http://x/"), {})


# -- TLS: the name in SNI and checked in the certificate ----------------------------------


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    server_context: ssl.SSLContext
    names_asked: list[str | None]


def _pki(tmp_path: Path, certified_name: str) -> Pki:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Switchboard test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, certified_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(certified_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_pem, key_pem)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,func-returns-value]
    return Pki(ca_pem=ca_pem, server_context=context, names_asked=names)


async def test_tls_names_the_host_and_checks_its_certificate(
    client: HttpClient, tmp_path: Path
) -> None:
    pki = _pki(tmp_path, NAME)
    async with server(tls=pki.server_context) as site:
        exchange = await send(client, site.url(scheme="https"), parts(ca_bundle=pki.ca_pem))
        untrusted = await send(client, site.url(scheme="https"))  # the CA not given
    assert exchange.ok, exchange.error
    assert pki.names_asked[0] == NAME  # SNI: the name, not the address
    assert not untrusted.ok
    assert untrusted.error_class in {ErrorClass.CONNECT, ErrorClass.PROTOCOL}
    assert len(site.seen) == 1


async def test_a_certificate_for_another_name_is_refused(
    client: HttpClient, tmp_path: Path
) -> None:
    pki = _pki(tmp_path, "other.example.test")
    async with server(tls=pki.server_context) as site:
        exchange = await send(client, site.url(scheme="https"), parts(ca_bundle=pki.ca_pem))
    assert not exchange.ok
    assert site.seen == []
