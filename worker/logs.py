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
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from switchboard.config import Settings

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "fields"]

_FIELDS: Final = "switchboard_fields"


def fields(**values: Any) -> dict[str, Any]:
    """The ``extra=`` of a structured log call."""
    return {_FIELDS: values}


def _fields_of(record: logging.LogRecord) -> dict[str, Any]:
    values: dict[str, Any] = getattr(record, _FIELDS, {})
    return values


class TextFormatter(logging.Formatter):
    """``2026-11-24 10:00:00,123 INFO event dispatched event_id=evt_x handlers=2``.

    ``process``: which of a supervisor's processes writes the line (``worker-2``), after
    the level, so that their one stream reads apart.
    """

    def __init__(self, process: str | None = None) -> None:
        label = f" {process}" if process else ""
        super().__init__(f"%(asctime)s %(levelname)s{label} %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        values = _fields_of(record)
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
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            **self._process,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields_of(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(settings: Settings, process: str | None = None) -> None:
    """Send Switchboard's logs to stderr in the configured format and level; ``process``
    names the process in each line (a supervisor's, ``supervisor.py``)."""
    handler = logging.StreamHandler(sys.stderr)
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
