"""``TurnHandler``: the worker's log handler, writing the lines of one turn of the event
loop in one write (``logs.py`` formats them and sets it up)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["TurnHandler"]


class TurnHandler(logging.StreamHandler):  # type: ignore[type-arg]  # its stream's type
    """A stream handler that writes the lines of one turn of the event loop together.

    stderr is line-buffered: a line, a ``write`` system call (1 to 1.4 µs of a delivery's
    CPU when stderr is a pipe). Here the lines logged in one turn go out at its end (a
    ``call_soon``), in writes of whole lines of at most ``PIPE_CHARS`` characters: within
    ``PIPE_BUF`` bytes, so that a supervisor's children sharing one pipe never cut into
    each other's lines. A WARNING or worse, or a line logged outside an event loop (another
    thread's), is written at once, after those waiting.
    """

    #: Characters a write carries, whole lines only (a longer line goes alone, as before):
    #: 4 UTF-8 bytes each at most, so within Linux's PIPE_BUF (4,096 bytes).
    PIPE_CHARS = 1024

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._size = 0
        #: The loop whose turn's end will write the lines (``None``: none is scheduled). A
        #: loop closed before it ran its callbacks is never awaited again.
        self._scheduled_on: asyncio.AbstractEventLoop | None = None
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._last = record
        self._queue(line, record.levelno)

    def emit_line(self, line: str, level: int) -> None:
        """Write ``line``, formatted already (``log_fields``), as ``emit`` writes a record's."""
        with self.lock:  # type: ignore[union-attr]  # logging's: set in Handler.__init__
            self._last = None  # a failed write then names its text, not an older record
            self._queue(line, level)

    def _queue(self, line: str, level: int) -> None:
        line += self.terminator
        if self._size + len(line) > self.PIPE_CHARS:
            self._write_waiting()
        self._lines.append(line)
        self._size += len(line)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or level >= logging.WARNING:
            self._write_waiting()
        elif self._scheduled_on is not loop:
            self._scheduled_on = loop
            loop.call_soon(self._turn_ended)

    def _turn_ended(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # logging's: set in Handler.__init__
            self._scheduled_on = None
            self._write_waiting()

    def _write_waiting(self) -> None:
        if not self._lines:
            return
        text, self._lines, self._size = "".join(self._lines), [], 0
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            # As StreamHandler does, naming the last record (or line, from emit_line).
            self.handleError(self._last or logging.makeLogRecord({"msg": text}))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_waiting()
            super().flush()

    def close(self) -> None:
        self.flush()
        super().close()
