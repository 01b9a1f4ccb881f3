"""``HttptoolsTransport``'s own choices, past the suite every transport passes
(``test_transport.py``): servers on loopback that send exactly the bytes each test
scripts, so that framing, a stale kept connection and a malformed answer can be made."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import uvloop

from switchboard.integrations import DeliveryRequest
from switchboard.worker.delivery import AddressPolicy, ErrorClass, Exchange, HttpTimeouts
from switchboard.worker.delivery.transport import TransportParts, open_transport

LOOPBACK = AddressPolicy([ipaddress.ip_network("127.0.0.0/8")])
PARTS = TransportParts(timeouts=HttpTimeouts(connect=2.0, total=2.0), policy=LOOPBACK)

#: Reads one request's head and body from the connection; writes what the test scripts.
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


@asynccontextmanager
async def scripted(script: Script) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server on loopback running ``script`` on each connection; yields its URL and the
    requests it read."""
    requests: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await script(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", requests
    finally:
        server.close()


async def send_all(
    url: str, count: int = 1, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> list[Exchange]:
    """``headers``: as the ``Attempter`` hands them over (the request's and the engine's)."""
    async with open_transport("httptools", PARTS) as transport:
        request = DeliveryRequest(url, body=body)
        return [
            await transport.send("127.0.0.1", request, headers or {"X-Test": "1"})
            for _ in range(count)
        ]


def test_under_uvloop_an_answer_comes_back_on_a_kept_connection() -> None:
    """The worker's loop is uvloop's, whose transports are not asyncio's classes."""
    connections = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while not reader.at_eof():
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async def main() -> list[Exchange]:
        async with scripted(keep_alive) as (url, _):
            return await send_all(url, 3, body=b"{}")

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        exchanges = runner.run(main())
    assert [(e.ok, e.response.body if e.response else None) for e in exchanges] == [
        (True, b"ok")
    ] * 3
    assert len(connections) == 1


async def test_a_kept_connection_the_server_closed_is_replaced_and_the_request_sent_again() -> None:
    served = []

    async def once_per_connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        served.append(await read_request(reader))
        # Keep-alive promised (HTTP/1.1, no "Connection: close"), then closed anyway.
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async with scripted(once_per_connection) as (url, _):
        exchanges = await send_all(url, 3, body=b"{}")
    assert all(exchange.ok for exchange in exchanges), [e.error for e in exchanges]
    assert len(served) == 3


async def test_a_chunked_answer_and_one_that_runs_until_the_close_are_read_whole() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )

    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")

    async with scripted(chunked) as (url, _):
        [chunks] = await send_all(url)
    async with scripted(until_close) as (url, _):
        [closed] = await send_all(url)
    assert chunks.response is not None
    assert chunks.response.body == b"abcde"
    assert closed.response is not None
    assert closed.response.body == b"all of it"


async def test_a_body_cut_short_and_an_answer_that_is_not_http_are_protocol_errors() -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        await reader.read()

    async with scripted(short) as (url, _):
        [cut] = await send_all(url)
    async with scripted(garbage) as (url, _):
        [odd] = await send_all(url)
    assert (cut.error_class, cut.error) == (ErrorClass.PROTOCOL, "the server closed the connection")
    assert (odd.error_class, odd.error) == (ErrorClass.PROTOCOL, "the response was malformed")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Name": "a\r\nX-Injected: yes"},
        # After a good request with the same name: a name known good, its value still read.
        {"X-Fine": "fine", "X-Name": "nul\x00"},
        {"X-Fine": "fine", "Bad Name": "value"},
    ],
    ids=["line break in a value", "NUL in a value", "space in a name"],
)
async def test_a_header_that_cannot_go_in_a_request_is_refused_before_anything_is_sent(
    headers: dict[str, str],
) -> None:
    connections = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        writer.close()

    async with scripted(count) as (url, _):
        [exchange] = await send_all(url, headers={"X-Name": "fine", "X-Fine": "fine"})
        assert exchange.error_class is not ErrorClass.INVALID_URL
        connections.clear()
        [exchange] = await send_all(url, headers=headers)
    assert exchange.error_class is ErrorClass.INVALID_URL
    assert connections == []


async def test_the_request_carries_the_name_and_its_port_its_length_and_no_compression() -> None:
    seen = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    async with scripted(record) as (url, _):
        port = url.split(":")[2].split("/")[0]
        [exchange] = await send_all(f"{url}?a=%20b", body=b'{"x":1}')
    assert exchange.ok
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hook?a=%20b HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}" in lines
    assert "Content-Length: 7" in lines
    assert "X-Test: 1" in lines
    assert not any(line.lower().startswith("accept-encoding") for line in lines)
    assert body == b'{"x":1}'
