"""A Mattermost-format and Matrix-format sink for the Apprise comparison (``bench.apprise``).

It answers as the real servers answer the requests that Apprise's ``mmost://`` and
``matrix://`` plugins and Switchboard's integrations make, and no more:

* Mattermost: ``POST /hooks/<token>`` (an incoming webhook), ``200`` and ``ok``.
* Matrix, the client-server API under ``/_matrix/client/v3`` (and ``r0``): ``login``
  (a fresh access token each time), ``account/whoami``, ``join/<room>``,
  ``joined_rooms``, ``logout``, and
  ``PUT rooms/<room>/send/m.room.message/<txnId>`` answered ``{"event_id": ...}``. As a
  homeserver does, a second PUT with the same access token, room and transaction id is a
  retransmission: answered the same, counted once (``matrix_repeats`` counts them).
* Slack's format (the fallback while Switchboard has no Mattermost integration):
  ``POST /slack/<anything>``, ``200`` and ``ok``.

Anything else is ``404`` with Matrix's ``M_UNRECOGNIZED``, so a request this sink does not
know of shows up as a failed send rather than as a message. It runs in a process of its
own, as ``bench.sink`` does, so its CPU counts against neither side.
``GET /stats`` answers the counts; ``GET /reset`` clears them.

    python -m bench.chat_sink PORT
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections import Counter
from typing import Any
from urllib.parse import unquote

import orjson

from .sink import SinkProtocol, Stats

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_PREFIXES = ("/_matrix/client/v3/", "/_matrix/client/r0/")
USER_ID = "@bench:localhost"


class ChatStats(Stats):
    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[str] = Counter()
        self.transactions: set[tuple[str, str, str]] = set()
        self.tokens = itertools.count(1)
        self.events = itertools.count(1)

    def json(self) -> bytes:
        return orjson.dumps({"count": self.count, **self.kinds, "by_path": dict(self.by_path)})

    def reset(self) -> None:
        self.count = 0
        self.kinds.clear()
        self.by_path.clear()
        self.transactions.clear()


def _header(head: bytes, name: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode()
    return ""


class ChatSinkProtocol(SinkProtocol):
    stats: ChatStats

    def handle_request(self, head: bytes, body: bytes) -> None:
        method, raw_path = head.split(b" ", 2)[:2]
        path = raw_path.decode().split("?", 1)[0]
        stats = self.stats
        if method == b"GET" and path in {"/stats", "/reset"}:
            if path == "/reset":
                stats.reset()
            self._json(200, stats.json())
            return
        if method == b"POST" and (path.startswith(("/hooks/", "/slack/"))):
            stats.kinds["mattermost" if path.startswith("/hooks/") else "slack"] += 1
            stats.count += 1
            self._write(_OK)
            return
        prefix = next((p for p in _PREFIXES if path.startswith(p)), None)
        if prefix is None:
            self._not_found()
            return
        self._matrix(method, path[len(prefix) :].split("/"), head)

    def _matrix(self, method: bytes, parts: list[str], head: bytes) -> None:
        stats = self.stats
        match method, parts:
            case b"POST", ["login"]:
                token = f"bench-token-{next(stats.tokens)}"
                answer: Any = {"access_token": token, "user_id": USER_ID, "device_id": "BENCH",
                               "home_server": "localhost"}  # fmt: skip
            case b"GET", ["account", "whoami"]:
                answer = {"user_id": USER_ID, "device_id": "BENCH"}
            case b"POST", ["join", room]:
                answer = {"room_id": unquote(room)}
            case b"GET", ["joined_rooms"]:
                answer = {"joined_rooms": ["!bench:localhost"]}
            case b"POST", ["logout"]:
                answer = {}
            case b"PUT", ["rooms", room, "send", "m.room.message", txn]:
                token = _header(head, b"authorization")
                if not token:
                    self._json(401, b'{"errcode":"M_MISSING_TOKEN","error":"no access token"}')
                    return
                key = (token, unquote(room), txn)
                if key in stats.transactions:
                    stats.kinds["matrix_repeats"] += 1
                else:
                    stats.transactions.add(key)
                    stats.kinds["matrix"] += 1
                    stats.count += 1
                answer = {"event_id": f"$bench{next(stats.events)}"}
            case _:
                self._not_found()
                return
        stats.kinds["matrix_requests"] += 1
        self._json(200, orjson.dumps(answer))

    def _not_found(self) -> None:
        self.stats.kinds["not_found"] += 1
        self._json(404, b'{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}')

    def _json(self, status: int, payload: bytes) -> None:
        reason = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found"}[status]
        self._write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, len(payload), payload)
        )

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)


async def serve(port: int) -> None:
    stats = ChatStats()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: ChatSinkProtocol(stats), "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
