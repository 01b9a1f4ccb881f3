"""What every command shares: settings and its Redis, a session of the config admin, the
stop signals, and failures reported as one line with an exit code (output: ``output.py``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import click

from switchboard.config import (
    ConfigStore,
    RedisUnavailableError,
    Settings,
    SwitchboardError,
    load_settings,
    open_redis,
    redact_url,
)
from switchboard.config.connection import REDIS_DOWN_ERRORS, describe_redis_error
from switchboard.integrations import ConfigAdmin, ConfigValidationError, IntegrationManager

from ..errors import InvalidEventError
from .dev_state import RedisChoice, choose_redis

__all__ = [
    "EXIT_ERROR",
    "EXIT_INVALID",
    "EXIT_STDOUT_CLOSED",
    "AdminSession",
    "admin_session",
    "fail",
    "run",
    "stop_on_signals",
]

T = TypeVar("T")

#: Something failed (Redis unreachable, no such configuration).
EXIT_ERROR = 1
#: The input was invalid (the message names the field and the reason).
EXIT_INVALID = 2


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def configure_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


#: The exit code of a command whose standard output was closed under it (``| head``): a
#: pipe's reader gone is no error worth a message, and 128 + SIGPIPE is what a Unix tool
#: killed by it returns.
EXIT_STDOUT_CLOSED = 128 + signal.SIGPIPE


def run(main: Callable[[Settings], Coroutine[Any, Any, T]], *, find_dev_redis: bool = True) -> T:
    """Run a command's coroutine; report Switchboard's errors as one line, not a traceback.

    ``find_dev_redis``: with REDIS_URL unset, use a running ``switchboard dev``'s Redis.
    """
    choice: RedisChoice | None = None
    try:
        choice = choose_redis(load_settings(), find_dev=find_dev_redis)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(main(choice.settings))
    except ConfigValidationError as exc:
        click.echo("error: invalid input", err=True)
        for field, reason in exc.errors.items():
            click.echo(f"  {field}: {reason}", err=True)
        sys.exit(EXIT_INVALID)
    except InvalidEventError as exc:
        fail(str(exc), EXIT_INVALID)
    except RedisUnavailableError as exc:
        _redis_unavailable(exc, choice)
    except SwitchboardError as exc:
        fail(str(exc))
    except REDIS_DOWN_ERRORS as exc:  # Redis went away after the session opened
        url = redact_url(choice.settings.effective_redis_url) if choice else "?"
        _redis_unavailable(RedisUnavailableError(url, describe_redis_error(exc)), choice)
    except BrokenPipeError:
        _stdout_closed()
    except OSError as exc:  # a file, not Redis (redis-py wraps socket errors in its own)
        where = f": {exc.filename}" if exc.filename else ""
        fail(f"{exc.strerror or type(exc).__name__}{where}")


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (Linux, macOS): libuv's loop, written in C, makes
    every callback cheaper, and pyreqwest's answers reach Python through it twice as fast
    as through asyncio's own (bench/). ``None``: asyncio's."""
    try:
        import uvloop
    except ImportError:  # Windows: no uvloop
        return None
    return uvloop.new_event_loop


def _redis_unavailable(exc: RedisUnavailableError, choice: RedisChoice | None) -> NoReturn:
    """One line naming the URL and where it came from; and, for the default, how to point
    at another Redis."""
    if choice is None:
        fail(str(exc))
    message = f"Redis is unreachable at {exc.url} ({choice.source}): {exc.reason}"
    fail(f"{message}\n  {choice.hint}" if choice.hint else message)


def _stdout_closed() -> NoReturn:
    """Exit quietly: what is still buffered for stdout goes nowhere, not into a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test's runner): nothing to flush
        pass
    sys.exit(EXIT_STDOUT_CLOSED)


@contextmanager
def stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT (Ctrl-C): what long-running commands stop on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@dataclass(frozen=True, slots=True)
class AdminSession:
    settings: Settings
    manager: IntegrationManager
    store: ConfigStore
    admin: ConfigAdmin


@asynccontextmanager
async def admin_session(settings: Settings) -> AsyncIterator[AdminSession]:
    """Redis, the installed integrations and the validated config API, for one command."""
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    async with open_redis(settings) as redis:
        store = ConfigStore.for_settings(redis, settings)
        admin = ConfigAdmin.for_settings(manager, store, settings)
        yield AdminSession(settings, manager, store, admin)
