"""``ConnectionPool``: idle HTTP/1.1 connections kept for the next request to the same origin.

An origin here is a (scheme, name, port): a connection made for one name is never lent
to another, whatever address they share (the ``Host`` header and the certificate were
the name's). At most ``idle_per_origin`` idle connections an origin, the most recently
used lent first; one idle longer than ``idle_keep`` seconds, or closed by its server,
is let go. How many requests are under way at once is not the pool's to count:
``HostSlots`` does, before a transport is reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .h1_connection import H1Connection

__all__ = ["ConnectionPool", "Origin"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    scheme: str
    name: str
    port: int


class ConnectionPool:
    def __init__(
        self,
        *,
        idle_per_origin: int,
        idle_keep: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._idle_per_origin = idle_per_origin
        self._idle_keep = idle_keep
        self._clock = clock
        self._idle: dict[Origin, list[H1Connection]] = {}

    def take(self, origin: Origin) -> H1Connection | None:
        """An idle connection to ``origin`` still open, if there is one."""
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest_kept = self._clock() - self._idle_keep
        while idle:
            connection = idle.pop()
            if not connection.closed and connection.idle_since >= oldest_kept:
                return connection
            connection.close()
        return None

    def give_back(self, origin: Origin, connection: H1Connection) -> None:
        """Kept for the next request if it can carry one and there is room; else closed."""
        if not connection.reusable:
            connection.close()
            return
        idle = self._idle.setdefault(origin, [])
        oldest_kept = self._clock() - self._idle_keep
        while idle and (idle[0].closed or idle[0].idle_since < oldest_kept):
            idle.pop(0).close()  # the least recently used first: let go of the stale
        if len(idle) >= self._idle_per_origin:
            connection.close()
            return
        connection.idle_since = self._clock()
        idle.append(connection)

    @property
    def idle(self) -> int:
        return sum(len(connections) for connections in self._idle.values())

    def close(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
