"""A cheap HTTP sink for the benchmarks: a bare asyncio protocol, no framework.

It must cost little CPU, or on 2 cores it measures itself. Every POST is
answered ``204`` at once, except under ``/slow/<ms>/`` (answered after that
many milliseconds), ``/fail/`` (``500``) and ``/hang/`` (never answered).
From each body it reads the event's ``timestamp`` (Switchboard's webhook
payload; the emit time) and keeps the emit-to-arrival latency.
``GET /stats`` answers ``{"count": N, "by_path": {...}}``; ``GET /latencies``
the latencies in ms (and clears them); ``GET /reset`` clears everything.

    python -m bench.sink PORT
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from datetime import datetime

import orjson

_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
_FAIL = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
_STAMP = b'"timestamp":"'


class Stats:
    def __init__(self) -> None:
        self.count = 0
        self.by_path: Counter[str] = Counter()
        self.latencies: list[float] = []

    def json(self) -> bytes:
        return orjson.dumps({"count": self.count, "by_path": dict(self.by_path)})


class SinkProtocol(asyncio.Protocol):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.handle_request(head, body)

    def handle_request(self, head: bytes, body: bytes) -> None:
        """One request, its head (request line and headers) as read; a subclass that must
        see the headers (``bench.chat_sink``) overrides this."""
        self.handle(head.split(b" ", 2), body)

    def handle(self, request_line: list[bytes], body: bytes) -> None:
        assert self.transport is not None
        method, path = request_line[0], request_line[1].decode()
        stats = self.stats
        if method == b"GET":
            if path == "/latencies":
                payload, stats.latencies = orjson.dumps(stats.latencies), []
            else:
                if path == "/reset":
                    stats.count, stats.latencies = 0, []
                    stats.by_path.clear()
                payload = stats.json()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(payload), payload)
            )
            return
        if path.startswith("/hang/"):
            return  # never answered: the client's timeout ends it
        if path.startswith("/fail/"):
            self.transport.write(_FAIL)
            return
        stamp = body.find(_STAMP)
        if stamp >= 0:
            end = body.find(b'"', stamp + len(_STAMP))
            emitted = datetime.fromisoformat(body[stamp + len(_STAMP) : end].decode()).timestamp()
            stats.latencies.append((time.time() - emitted) * 1000)
        stats.count += 1
        stats.by_path[path] += 1
        if path.startswith("/slow/"):
            delay = int(path.split("/")[2]) / 1000
            asyncio.get_running_loop().call_later(delay, self._answer)
        else:
            self.transport.write(_NO_CONTENT)

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_NO_CONTENT)


async def serve(port: int) -> None:
    stats = Stats()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SinkProtocol(stats), "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(int(sys.argv[1])))
