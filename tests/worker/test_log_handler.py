"""``TurnHandler``: the lines of one turn of the event loop in one write, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from switchboard.worker.log_handler import TurnHandler


class Writes:
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.broken = False

    def write(self, text: str) -> None:
        if self.broken:
            raise BrokenPipeError(32, "Broken pipe")
        self.writes.append(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.writes)


@pytest.fixture
def stream() -> Writes:
    return Writes()


@pytest.fixture
def logger(stream: Writes) -> Iterator[logging.Logger]:
    handler = TurnHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("switchboard.test.turn")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.removeHandler(handler)
    handler.close()


async def test_the_lines_of_one_turn_go_out_at_its_end_in_one_write(
    logger: logging.Logger, stream: Writes
) -> None:
    for n in range(3):
        logger.info("line %d", n)
    assert stream.writes == []  # the turn has not ended
    await asyncio.sleep(0)  # one turn: the handler's call_soon ran before this resumed
    assert stream.writes == ["INFO line 0\nINFO line 1\nINFO line 2\n"]
    logger.info("next turn")
    await asyncio.sleep(0)
    assert stream.writes[1:] == ["INFO next turn\n"]


async def test_a_warning_goes_out_at_once_after_the_lines_before_it(
    logger: logging.Logger, stream: Writes
) -> None:
    logger.info("first")
    logger.warning("trouble")
    assert stream.text == "INFO first\nWARNING trouble\n"


def test_outside_an_event_loop_a_line_goes_out_at_once(
    logger: logging.Logger, stream: Writes
) -> None:
    logger.info("no loop")
    assert stream.writes == ["INFO no loop\n"]


async def test_writes_carry_whole_lines_within_the_pipe_limit(
    logger: logging.Logger, stream: Writes
) -> None:
    line = "x" * 300  # "INFO " and a newline: 306 characters a line
    for _ in range(10):
        logger.info(line)
    long = "y" * (TurnHandler.PIPE_CHARS + 10)
    logger.info(long)
    await asyncio.sleep(0)
    assert stream.text == f"INFO {line}\n" * 10 + f"INFO {long}\n"
    assert all(write.endswith("\n") for write in stream.writes)
    # Three lines fit a write; the long one goes alone, as one write as before.
    assert [len(write) for write in stream.writes] == [918, 918, 918, 306, len(long) + 6]


def test_a_loop_closed_before_its_turn_ended_does_not_hold_later_lines(
    logger: logging.Logger, stream: Writes
) -> None:
    loop = asyncio.new_event_loop()

    def log_and_stop() -> None:
        logger.info("in a loop stopped in the same turn")
        loop.stop()  # the loop ends with this turn: the handler's call_soon never runs

    loop.call_soon(log_and_stop)
    loop.run_forever()
    loop.close()
    assert stream.writes == []

    async def log() -> None:
        logger.info("in the next loop")

    asyncio.run(log())
    assert stream.text == "INFO in a loop stopped in the same turn\nINFO in the next loop\n"


async def test_flush_and_close_write_what_waits(logger: logging.Logger, stream: Writes) -> None:
    logger.info("waiting")
    handler = logger.handlers[0]
    handler.flush()
    assert stream.writes == ["INFO waiting\n"]
    logger.info("at the end")
    handler.close()
    assert stream.writes[1:] == ["INFO at the end\n"]


async def test_a_stream_that_fails_is_reported_as_logging_reports_it(
    logger: logging.Logger, stream: Writes, capsys: pytest.CaptureFixture[str]
) -> None:
    stream.broken = True
    logger.info("lost")
    await asyncio.sleep(0)  # no exception escapes into the event loop
    assert "BrokenPipeError" in capsys.readouterr().err
    stream.broken = False
    logger.info("later")
    await asyncio.sleep(0)
    assert stream.writes == ["INFO later\n"]
