"""A connection pool whose connections are checked out without a lock or a turn of the loop.

redis-py 5.3's asyncio ``ConnectionPool.get_connection`` holds one ``asyncio.Lock``
across its check that a pooled connection has no unread data, and that check reads the
socket under ``asyncio.timeout(0)``: every command waits a full turn of the event loop,
one command at a time (redis/redis-py#3692). In a busy worker a turn is milliseconds, so
sixteen retries' reads queued the group commit behind them, and with one endpoint
hanging the worker sat idle an eighth of the time (``docs/performance.md``). arq pins
redis-py below 6, so the fix is here: the bookkeeping is synchronous (one event loop,
nothing to lock), and a connection that was pooled is checked without awaiting, against
what its socket has already delivered. A reply left unread (never, as redis-py drops a
connection whose reply was cut short) or a server gone away (its EOF) still gets the
connection reopened before a command is sent on it, with either of redis-py's parsers
(its own check, with its Python parser, missed a reply waiting in the stream).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

from .packing import pack_with_hiredis
from .settings import Settings

__all__ = ["CheckoutPool", "client_for"]

ClientT = TypeVar("ClientT", bound=aioredis.Redis)


class CheckoutPool(aioredis.ConnectionPool):
    async def get_connection(
        self, command_name: Any = None, *keys: Any, **options: Any
    ) -> AbstractConnection:
        # Synchronous: one event loop hands out each connection once, with nothing to lock.
        connection: AbstractConnection = self.get_available_connection()  # type: ignore[no-untyped-call]
        try:
            if not connection.is_connected:
                await connection.connect()  # type: ignore[no-untyped-call]  # new, or dropped
            elif await _has_unread(connection):
                await connection.disconnect()
                await connection.connect()  # type: ignore[no-untyped-call]
        except BaseException:
            await self.release(connection)
            raise
        return connection


async def _has_unread(connection: AbstractConnection) -> bool:
    """Whether a pooled connection holds a reply nobody read, or its server closed it."""
    stream = connection._reader
    # What the socket delivered waits in the stream's buffer (asyncio's own StreamReader,
    # under uvloop too), then in the parser's.
    buffered: bytearray | None = getattr(stream, "_buffer", None)
    if stream is None or buffered is None:  # not the stream redis-py makes: its own check
        try:
            return bool(await connection.can_read_destructive())  # type: ignore[no-untyped-call]
        except (OSError, aioredis.ConnectionError):
            return True
    if buffered or stream.at_eof():
        return True
    parser: Any = connection._parser
    reader: Any = getattr(parser, "_reader", None)
    if hasattr(reader, "has_data"):  # hiredis's
        return bool(reader.has_data())
    # redis-py's own, in Python: a reply cut short leaves its start behind.
    return bool(getattr(parser, "_buffer", b"") or getattr(parser, "_chunks", None))


def client_for(cls: type[ClientT], settings: Settings, **options: Any) -> ClientT:
    """A ``cls`` client for ``settings``' Redis on its own ``CheckoutPool``, packing with
    hiredis, and closing the pool when it is closed (as ``from_url``'s); ``options`` go to
    its connections, beside the settings' connect timeout and a health check every 30 s."""
    pool = CheckoutPool.from_url(
        settings.effective_redis_url,
        socket_connect_timeout=settings.redis_connect_timeout,
        health_check_interval=30,
        **options,
    )
    return pack_with_hiredis(cast("ClientT", cls.from_pool(pool)))
