"""Commands packed by hiredis, in C, for the asyncio client.

redis-py's synchronous connections pack commands with ``hiredis.pack_command`` when
hiredis is installed; its asyncio connections still pack in Python, joining bytes
argument by argument (redis/redis-py#4176); packing in C took 6% off the worker's CPU
per delivery at fan-out 10 (paired runs, ``docs/performance.md``).
``pack_with_hiredis`` gives a client's pool connections that send the same bytes,
packed by hiredis (a dependency already: redis-py parses replies with it).
"""

from __future__ import annotations

from typing import Any, TypeVar

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

__all__ = ["pack_with_hiredis"]

ClientT = TypeVar("ClientT", bound=Redis)


class HiredisPacking(AbstractConnection):
    """A mixin for a connection class: ``pack_command`` in C."""

    def pack_command(self, *args: Any) -> list[Any]:
        # As redis-py does: a command name with a space ("CONFIG GET") is two arguments.
        first = args[0]
        if isinstance(first, str):
            args = (*first.encode().split(), *args[1:])
        elif b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            # An argument hiredis does not take (a memoryview, or a wrong type): redis-py's
            # own packing, with its chunking or its DataError naming the type.
            return super().pack_command(*args)


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
