"""``H1Connection``: one kept-alive HTTP/1.1 connection, one request on it at a time.

An ``asyncio.Protocol`` on the event loop's own transport (uvloop's, in C): the request
is written as one buffer, and the answer is parsed by llhttp (``httptools``, the parser
uvicorn uses) as its bytes arrive, with no stream object, task or copy in between. The
answer ends at the end of its message, or as soon as ``body_limit`` bytes of its body
are in (the connection is then closed, not reused: the rest of the body is not read),
or when the connection closes (a body that runs until the close). ``HttptoolsTransport``
(``transport_httptools.py``) pools these connections and keeps the timeouts.
"""

from __future__ import annotations

import asyncio
from typing import Final, cast

import httptools

__all__ = ["Answer", "ConnectionClosedError", "H1Connection", "MalformedAnswerError"]

#: (status, headers as sent, the body's first bytes).
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class ConnectionClosedError(ConnectionError):
    """The server closed the connection before its answer was complete."""

    def __init__(self, *, answered: bool) -> None:
        super().__init__("the server closed the connection")
        #: Whether any of the answer arrived: if none did, the request may not have been read.
        self.answered = answered


class MalformedAnswerError(ConnectionError):
    """What the server sent is not an HTTP/1.1 answer."""


_CONTINUE: Final = 100
#: The headers that say where a body ends (else it ends when the connection does).
_FRAMING: Final = frozenset({b"content-length", b"transfer-encoding"})


class H1Connection(asyncio.Protocol):
    def __init__(self, body_limit: int) -> None:
        self._body_limit = body_limit
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_size = 0
        self._started = False
        self._head_done = False
        self._until_close = False
        self._head_only = False
        #: The answer was complete and the server keeps the connection open.
        self.reusable = False
        self.closed = False
        #: When it was last put back in its pool (the loop's clock).
        self.idle_since = 0.0

    # -- the request -----------------------------------------------------------------

    def request(
        self, data: bytes, *, head_only: bool = False, timeout: float | None = None
    ) -> asyncio.Future[Answer]:
        """Write one request; the future is its answer (``ConnectionError`` if none came,
        ``TimeoutError`` if it was not all here within ``timeout`` seconds: closed then).

        The timeout is a bare timer on the connection rather than ``asyncio.timeout()``
        around the await, which costs a context, a reschedule and a cancellation: about
        3% of the worker's CPU a delivery on a kept connection (py-spy)."""
        assert self._transport is not None
        assert self._waiter is None
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        if timeout is not None:
            self._timer = loop.call_later(timeout, self._time_out)
        self.reusable = False
        self._started = self._head_done = self._until_close = False
        self._head_only = head_only
        self._headers = []
        self._body = []
        self._body_size = 0
        self._transport.write(data)
        return waiter

    def close(self) -> None:
        """Closed at once (a timeout, a cancelled request, an answer not read to its end)."""
        self.reusable = False
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the connection cannot be trusted
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(MalformedAnswerError("the response was malformed"))

    def eof_received(self) -> bool | None:
        return False  # close: a half-closed connection is not reused

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        if self._waiter is None:
            return
        if self._head_done and self._until_close:  # a body that runs until the close: all here
            self._answer()
        else:
            self._fail(ConnectionClosedError(answered=self._started))

    # -- httptools' callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._started = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._parser.get_status_code() == _CONTINUE:
            self._headers = []  # an interim answer: the real one follows
            return
        self._head_done = True
        # Neither a length nor chunks: the body is what comes until the server closes.
        self._until_close = not any(name.lower() in _FRAMING for name, _ in self._headers)
        if self._head_only:  # no body follows, whatever its headers say: and no reuse
            self._answer()
            self.close()

    def on_body(self, body: bytes) -> None:
        room = self._body_limit - self._body_size
        if room <= 0:
            return
        self._body.append(body[:room] if len(body) > room else body)
        self._body_size += min(len(body), room)
        if self._body_size >= self._body_limit:
            self._answer()
            self.close()  # the rest is not read: this connection cannot carry another

    def on_message_complete(self) -> None:
        if not self._head_done:
            return  # the end of an interim (1xx) answer
        if self._waiter is None or self._waiter.done():
            return
        self._answer()
        self.reusable = not self.closed and self._parser.should_keep_alive()

    # -- ends --------------------------------------------------------------------------

    def _time_out(self) -> None:
        self._timer = None
        self._fail(TimeoutError())

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _answer(self) -> None:
        self._stop_timer()
        waiter, self._waiter = self._waiter, None
        self._head_done = False
        if waiter is not None and not waiter.done():
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            waiter.set_result((self._parser.get_status_code(), self._headers, body))

    def _fail(self, error: Exception) -> None:
        self._stop_timer()
        waiter, self._waiter = self._waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
