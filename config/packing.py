"""Commands packed by hiredis, in C, for the asyncio client (large ones joined in Python).

redis-py's synchronous connections pack commands with ``hiredis.pack_command`` when
hiredis is installed; its asyncio connections still pack in Python, joining bytes
argument by argument (redis/redis-py#4176); packing in C took 6% off the worker's CPU
per delivery at fan-out 10 (paired runs, ``docs/performance.md``).
``pack_with_hiredis`` gives a client's pool connections that send the same bytes,
packed by hiredis (a dependency already: redis-py parses replies with it).
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

__all__ = ["LONG_ARGUMENT", "MANY_ARGUMENTS", "pack_with_hiredis"]

ClientT = TypeVar("ClientT", bound=Redis)


#: Commands with more arguments than this are packed in Python (below).
MANY_ARGUMENTS: Final = 16
#: An argument longer than this (bytes) makes a command packed in Python.
LONG_ARGUMENT: Final = 16 * 1024


class HiredisPacking(AbstractConnection):
    """A mixin for a connection class: ``pack_command`` in C, but for large commands.

    hiredis packs a few short arguments fastest, but its time grows faster than a
    command's size: a 64 KiB value took it 80 µs against 3 µs joined in Python, and the
    group commit of 250 delivery records (1,750 arguments) 640 µs against 415 µs, or
    2.5 ms against 0.5 ms with 6 KB records (2026-12-04, the benchmark machine). A
    command with many arguments, or a long one, is joined in Python, in redis-py's format.
    """

    def pack_command(self, *args: Any) -> list[Any]:
        # As redis-py does: a command name with a space ("CONFIG GET") is two arguments.
        first = args[0]
        if isinstance(first, str):
            args = (*first.encode().split(), *args[1:])
        elif b" " in first:
            args = (*first.split(), *args[1:])
        if len(args) > MANY_ARGUMENTS or any(
            type(arg) in _TEXT and len(arg) > LONG_ARGUMENT for arg in args
        ):
            packed = _joined(args)
            if packed is not None:
                return [packed]
        else:
            try:
                return [hiredis.pack_command(args)]
            except TypeError:
                pass
        # An argument neither takes (a memoryview, or a wrong type): redis-py's own
        # packing, with its chunking or its DataError naming the type.
        return super().pack_command(*args)


_TEXT: Final = (bytes, str)


def _joined(args: tuple[Any, ...]) -> bytes | None:
    """``args`` in the protocol, as one buffer; ``None`` if one is not bytes, str, int or
    float (bool is an int, and redis-py refuses it: so is it refused here)."""
    parts = [b"*%d\r\n" % len(args)]
    extend = parts.extend
    for arg in args:
        kind = type(arg)
        if kind is str:
            arg = arg.encode()
        elif kind is int or kind is float:
            arg = repr(arg).encode()
        elif kind is not bytes:
            return None
        extend((b"$%d\r\n" % len(arg), arg, b"\r\n"))
    return b"".join(parts)


#: One packing subclass per connection class (redis-py's: TCP, TLS, Unix socket).
_PACKING_CLASSES: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def _packing_class(connection_class: type[AbstractConnection]) -> type[AbstractConnection]:
    if issubclass(connection_class, HiredisPacking):
        return connection_class
    packing = _PACKING_CLASSES.get(connection_class)
    if packing is None:
        name = f"Hiredis{connection_class.__name__}"
        packing = _PACKING_CLASSES[connection_class] = type(
            name, (HiredisPacking, connection_class), {}
        )
    return packing


def pack_with_hiredis(client: ClientT) -> ClientT:
    """``client``, its pool's connections (TCP, TLS or Unix socket: whichever its URL
    chose) packing commands with hiredis. Before its first command."""
    pool = client.connection_pool
    pool.connection_class = _packing_class(pool.connection_class)
    return client
