"""``log_fields``: a delivery's line, rendered without a LogRecord when the worker's own
handler is the only one it reaches; a record, as ``logger.log`` makes, otherwise."""

from __future__ import annotations

import io
import logging

import pytest

from switchboard.worker.logs import JsonFormatter, TextFormatter, TurnHandler, fields, log_fields

MOMENT = 1_764_000_000.0421
VALUES = {"delivery_id": "dlv_1", "attempt": 1, "status": None, "error": "two words"}


def _logger(*handlers: logging.Handler) -> logging.Logger:
    logger = logging.Logger("switchboard.worker.delivery")  # outside the tree: no parents
    for handler in handlers:
        logger.addHandler(handler)
    return logger


def _turn_handler(formatter: logging.Formatter) -> tuple[TurnHandler, io.StringIO]:
    stream = io.StringIO()
    handler = TurnHandler(stream)
    handler.setFormatter(formatter)
    return handler, stream


def _as_logging_formats_it(formatter: logging.Formatter, level: int) -> str:
    record = logging.makeLogRecord(
        {
            "name": "switchboard.worker.delivery",
            "levelno": level,
            "levelname": logging.getLevelName(level),
            "msg": "delivery failed",
            "created": MOMENT,
            "msecs": float(int((MOMENT - int(MOMENT)) * 1000)),
            **fields(**VALUES),
        }
    )
    return formatter.format(record)


@pytest.mark.parametrize("formatter", [TextFormatter(), TextFormatter("worker-2"), JsonFormatter()])
@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_the_line_is_the_one_logging_would_write(formatter: logging.Formatter, level: int) -> None:
    handler, stream = _turn_handler(formatter)
    log_fields(_logger(handler), level, "delivery failed", VALUES, now=lambda: MOMENT)
    handler.flush()  # outside an event loop an INFO line is written at once anyway
    assert stream.getvalue() == _as_logging_formats_it(formatter, level) + "\n"


def test_another_handler_gets_the_record_with_its_fields() -> None:
    handler, stream = _turn_handler(TextFormatter())
    records: list[logging.LogRecord] = []
    collector = logging.Handler()
    collector.emit = records.append  # type: ignore[method-assign]
    log_fields(_logger(handler, collector), logging.INFO, "delivery delivered", VALUES)
    assert [record.getMessage() for record in records] == ["delivery delivered"]
    assert records[0].switchboard_fields == VALUES
    assert (
        stream.getvalue()
        .rstrip("\n")
        .endswith("INFO delivery delivered delivery_id=dlv_1 attempt=1 error='two words'")
    )


def test_a_filter_on_the_way_is_asked() -> None:
    handler, stream = _turn_handler(TextFormatter())
    logger = _logger(handler)
    logger.addFilter(lambda record: "dlv_1" not in str(record.switchboard_fields))
    log_fields(logger, logging.WARNING, "delivery failed", VALUES)
    assert stream.getvalue() == ""


def test_nothing_is_written_below_a_level() -> None:
    handler, stream = _turn_handler(TextFormatter())
    handler.setLevel(logging.WARNING)
    logger = _logger(handler)
    log_fields(logger, logging.INFO, "delivery delivered", VALUES)
    logger.setLevel(logging.ERROR)
    log_fields(logger, logging.WARNING, "delivery failed", VALUES)
    assert stream.getvalue() == ""
