"""Structured log lines: readable text by default, one JSON object each with a setting.

Code logs a short message plus fields::

    logger.info("event dispatched", extra=fields(event_id=event.id, handlers=2))

and the formatter renders ``event dispatched event_id=evt_... handlers=2``
or ``{"time": ..., "level": "info", "message": "event dispatched",
"event_id": "evt_...", "handlers": 2}``. Fields never hold payloads or
settings, so secrets stay out of the logs.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, cast

import orjson

from switchboard.config import Settings

from .log_handler import TurnHandler

__all__ = [
    "JsonFormatter",
    "TextFormatter",
    "TurnHandler",
    "configure_logging",
    "fields",
    "log_fields",
]

_FIELDS: Final = "switchboard_fields"


def fields(**values: Any) -> dict[str, Any]:
    """The ``extra=`` of a structured log call."""
    return {_FIELDS: values}


def log_fields(
    logger: logging.Logger,
    level: int,
    message: str,
    values: dict[str, Any],
    *,
    now: Callable[[], float] = time.time,
) -> None:
    """``logger.log(level, message, extra=fields(**values))``, for a line logged per delivery.

    When the one handler the line would reach is ``configure_logging``'s (a ``TurnHandler``
    with a formatter of this module), and no filter is on the way, the line is rendered
    (the formatter's ``line``: the same text) and handed to it without a ``LogRecord`` and
    logging's call chain: 5 µs a delivery's line, not 8.5. Anything else configured (another
    handler, a filter, pytest's ``caplog``) gets a record, as from ``logger.log``.
    """
    if not logger.isEnabledFor(level):
        return
    handler = _only_handler(logger)
    if handler is None:
        logger.log(level, message, extra={_FIELDS: values})
    elif level >= handler.level:
        formatter = cast("TextFormatter | JsonFormatter", handler.formatter)
        line = formatter.line(logging.getLevelName(level), logger.name, message, values, now())
        handler.emit_line(line, level)


def _only_handler(logger: logging.Logger) -> TurnHandler | None:
    """The handler a record of ``logger`` reaches if it is the only one, a ``TurnHandler``
    of this module's formatters, and nothing on the way filters; else ``None``."""
    found: TurnHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        for handler in current.handlers:
            if (
                found is not None
                or type(handler) is not TurnHandler
                or handler.filters
                or type(handler.formatter) not in _LINE_FORMATTERS
            ):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found


def _fields_of(record: logging.LogRecord) -> dict[str, Any]:
    values: dict[str, Any] = getattr(record, _FIELDS, {})
    return values


class TextFormatter(logging.Formatter):
    """``2026-11-24 10:00:00,123 INFO event dispatched event_id=evt_x handlers=2``.

    ``process``: which of a supervisor's processes writes the line (``worker-2``), after
    the level, so that their one stream reads apart.
    """

    def __init__(self, process: str | None = None) -> None:
        self._label = f" {process}" if process else ""
        super().__init__(f"%(asctime)s %(levelname)s{self._label} %(message)s")
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        # Every delivery's line comes here: built in one f-string (``line``), not through
        # logging's %-style template over the record's __dict__ (a third of the line's
        # cost). A line with a traceback goes logging's own way.
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        return self.line(
            record.levelname, record.name, record.getMessage(), _fields_of(record), record.created
        )

    def line(
        self, levelname: str, name: str, message: str, values: dict[str, Any], created: float
    ) -> str:
        """The line of a record of these parts (``format``'s, and ``log_fields``')."""
        stamp = f"{self._second_of(created)},{int((created - int(created)) * 1000):03d}"
        return _with_fields(f"{stamp} {levelname}{self._label} {message}", values)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return f"{self._second_of(record.created)},{int(record.msecs):03d}"

    def _second_of(self, created: float) -> str:
        # logging's own format, its strftime done once a second rather than once a line.
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        return self._stamp

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return _with_fields(super().formatMessage(record), _fields_of(record))


def _with_fields(line: str, values: dict[str, Any]) -> str:
    if not values:
        return line
    rendered = " ".join(
        f"{key}={_text(value)}" for key, value in values.items() if value is not None
    )
    return f"{line} {rendered}"


def _text(value: Any) -> str:
    text = str(value)
    return repr(text) if (" " in text or not text) else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log shippers (``process``: as ``TextFormatter``'s)."""

    def __init__(self, process: str | None = None) -> None:
        super().__init__()
        self._process = {"process": process} if process else {}

    def format(self, record: logging.LogRecord) -> str:
        entry = self._entry(
            record.levelname, record.name, record.getMessage(), _fields_of(record), record.created
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()

    def line(
        self, levelname: str, name: str, message: str, values: dict[str, Any], created: float
    ) -> str:
        """The line of a record of these parts (``format``'s, and ``log_fields``')."""
        entry = self._entry(levelname, name, message, values, created)
        return orjson.dumps(entry, default=str).decode()

    def _entry(
        self, levelname: str, name: str, message: str, values: dict[str, Any], created: float
    ) -> dict[str, Any]:
        return {
            "time": datetime.fromtimestamp(created, UTC).isoformat(),
            "level": levelname.lower(),
            **self._process,
            "logger": name,
            "message": message,
            **values,
        }


#: The formatters whose ``line`` renders a record's line from its parts (``log_fields``).
_LINE_FORMATTERS: Final = (TextFormatter, JsonFormatter)


def configure_logging(settings: Settings, process: str | None = None) -> None:
    """Send Switchboard's logs to stderr in the configured format and level; ``process``
    names the process in each line (a supervisor's, ``supervisor.py``)."""
    handler = TurnHandler(sys.stderr)
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    handler.setFormatter(formatter(process))
    root = logging.getLogger()
    for existing in root.handlers[:]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    # What no formatter here shows is not gathered for each record either (the logging
    # HOWTO's "Optimization"): the caller's frame, thread and process. A delivery's line
    # is the one log call on the hot path.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.getLogger("switchboard").setLevel(settings.log_level)
    # arq logs every job start and finish at INFO: too much for the hot path.
    logging.getLogger("arq").setLevel(logging.WARNING)
