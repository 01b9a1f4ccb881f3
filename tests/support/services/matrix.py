"""A Matrix homeserver's send endpoint, as the client-server spec says it judges a request.

``Homeserver`` is a ``RecordingSink`` (a real aiohttp server on 127.0.0.1) that judges
every path itself: the send URL's path holds the transaction id, so each delivery has its
own, and no one path's validator can stand for it. The rules, from
https://spec.matrix.org/latest/client-server-api/ (room_send,
"Transaction identifiers", "Size limits", "Standard error response"; docs/research:
chat-formats.md, §5):

* ``PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`` (the room id
  percent-encoded, which HTTP clients may send as ``!`` and ``:``: homeservers decode the
  path either way); other methods 405
  ``M_UNRECOGNIZED``, other paths 404 ``M_UNRECOGNIZED``;
* ``Authorization: Bearer <token>``: none is 401 ``M_MISSING_TOKEN`` (this stand-in reads
  no ``?access_token=``, so a token in the URL fails the tests), another 401
  ``M_UNKNOWN_TOKEN``; a room the user is not in 403 ``M_FORBIDDEN``;
* the body a JSON object (``M_NOT_JSON``) under 65,536 bytes (413 ``M_TOO_LARGE``), with
  string ``msgtype`` and ``body``; ``format: org.matrix.custom.html`` needs a string
  ``formatted_body`` (400 ``M_BAD_JSON``); the HTML only the spec's suggested tags;
* a transaction id used again with the same body answers the first ``event_id`` and posts
  nothing; with another body it is refused (400 ``M_INVALID_PARAM``: a client bug).

``script(*answers)`` sets what the next valid requests get instead of ``200
{"event_id"}``: an ``Answer``, or ``stored(answer)`` for an answer lost after the event
was posted (a 500 once the event is in the room).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import unquote

import orjson
from aiohttp import web

from switchboard.testing import Answer, Received, RecordingSink

__all__ = ["ROOM_ID", "TOKEN", "Homeserver", "Stored", "error", "html_violations", "stored"]

ROOM_ID: Final = "!ops6R2xpT:example.org"
TOKEN: Final = "syt_c3dpdGNoYm9hcmQ_s3cr3t"
MAX_EVENT_BYTES: Final = 65_536
#: The spec's suggested tags (clients strip the rest).
_TAGS: Final = (
    "font del h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em strike "
    "code hr br div table thead tbody tr th td caption pre span img details summary"
)
ALLOWED_TAGS: Final = frozenset(_TAGS.split())
_SEND: Final = re.compile(r"/_matrix/client/v3/rooms/([^/]+)/send/([^/]+)/([^/]+)")


def error(status: int, errcode: str, message: str, **extra: Any) -> Answer:
    """The spec's standard error response."""
    body = orjson.dumps({"errcode": errcode, "error": message, **extra})
    return Answer(status=status, body=body, headers={"Content-Type": "application/json"})


@dataclass(frozen=True)
class Stored:
    """An answer given after the event was posted: the client never saw it succeed."""

    answer: Answer


def stored(answer: Answer) -> Stored:
    return Stored(answer)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.bad.append(tag)
        for name, value in attrs:
            if tag != "a" or name != "href" or not (value or "").startswith(("https:", "http:")):
                self.bad.append(f"{tag} {name}")


def html_violations(html: str) -> list[str]:
    """Tags and attributes outside the spec's suggestions (an ``a`` may have an http(s) href)."""
    parser = _Tags()
    parser.feed(html)
    return parser.bad


class Homeserver(RecordingSink):
    """``async with Homeserver() as server:``; ``server.url()`` is the homeserver's URL."""

    def __init__(self, token: str = TOKEN, room_id: str = ROOM_ID) -> None:
        super().__init__()
        self.token = token
        self.room_id = room_id
        #: Posted events: txn id -> (the request's body, the event id).
        self.events: dict[str, tuple[bytes, str]] = {}
        self._next: list[Answer | Stored] = []

    def url(self, path: str = "") -> str:
        return super().url(path)

    def script(self, *answers: Answer | Stored) -> None:  # type: ignore[override]
        """What the next valid requests get, in turn, instead of their event id."""
        self._next = list(answers)

    def judge(self, request: Received) -> Answer | None:
        """The error the homeserver answers, or ``None`` for a request it takes."""
        match = _SEND.fullmatch(request.path)
        if match is None:
            return error(404, "M_UNRECOGNIZED", "Unrecognized request")
        if request.method != "PUT":
            return error(405, "M_UNRECOGNIZED", "Unrecognized request")
        room, event_type, _ = match.groups()
        authorization = request.header("Authorization") or ""
        if not authorization.startswith("Bearer "):
            return error(401, "M_MISSING_TOKEN", "Missing access token")
        if authorization.removeprefix("Bearer ") != self.token:
            return error(401, "M_UNKNOWN_TOKEN", "Unrecognised access token", soft_logout=False)
        if unquote(room) != self.room_id:
            return error(403, "M_FORBIDDEN", "User not in room")
        if len(request.body) > MAX_EVENT_BYTES:
            return error(413, "M_TOO_LARGE", "event too large")
        try:
            content = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return error(400, "M_NOT_JSON", "Content not JSON.")
        problems = content_violations(event_type, content)
        return error(400, "M_BAD_JSON", problems[0]) if problems else None

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrived += 1
        received = await Received.of(request)
        answer = self.judge(received) or self._send(received)
        self.received.append(received)
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    def _send(self, request: Received) -> Answer:
        txn_id = request.path.rsplit("/", 1)[1]
        if txn_id in self.events:
            body, event_id = self.events[txn_id]
            if body != request.body:
                return error(400, "M_INVALID_PARAM", "transaction id reused with another event")
            return _event(event_id)  # the first answer again: nothing posted
        scripted = self._next.pop(0) if self._next else None
        if isinstance(scripted, Answer):
            return scripted
        event_id = f"$event{len(self.events) + 1}:example.org"
        self.events[txn_id] = (request.body, event_id)
        return scripted.answer if isinstance(scripted, Stored) else _event(event_id)


def _event(event_id: str) -> Answer:
    return Answer(
        status=200,
        body=orjson.dumps({"event_id": event_id}),
        headers={"Content-Type": "application/json"},
    )


def content_violations(event_type: str, content: Any) -> list[str]:
    """What makes ``content`` an invalid ``m.room.message`` (for the spec, then the HTML)."""
    if event_type != "m.room.message":
        return [f"event type {event_type}"]
    if not isinstance(content, dict):
        return ["content is not an object"]
    problems = [
        f"{key} must be a string"
        for key in ("msgtype", "body")
        if not isinstance(content.get(key), str)
    ]
    if "format" in content:
        if content["format"] != "org.matrix.custom.html":
            problems.append(f"unknown format {content['format']!r}")
        elif not isinstance(content.get("formatted_body"), str):
            problems.append("format without a string formatted_body")
        else:
            problems += [
                f"<{tag}> not allowed" for tag in html_violations(content["formatted_body"])
            ]
    return problems
