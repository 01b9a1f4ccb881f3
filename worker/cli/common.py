"""What every command shares: settings, one Redis session, error reporting, output."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import orjson
from pydantic import SecretStr

from switchboard.config import (
    ConfigRecord,
    ConfigStore,
    ConfigValidationError,
    InvalidEventError,
    RedisUnavailableError,
    Settings,
    SwitchboardError,
    generate_secret_key,
    load_settings,
    open_redis,
    redact_url,
)
from switchboard.config.connection import REDIS_DOWN_ERRORS, describe_redis_error
from switchboard.integrations import ConfigAdmin, IntegrationManager

__all__ = [
    "DEV_SECRET_KEY_FILE",
    "DEV_STATE_FILE",
    "EXIT_ERROR",
    "EXIT_INVALID",
    "AdminSession",
    "admin_session",
    "dev_pid_alive",
    "dev_redis_url",
    "dev_secret_key",
    "dev_state",
    "echo_json",
    "echo_table",
    "fail",
    "masked_settings",
    "plural",
    "record_json",
    "run",
    "stop_on_signals",
]

T = TypeVar("T")

#: Something failed (Redis unreachable, no such configuration).
EXIT_ERROR = 1
#: The input was invalid (the message names the field and the reason).
EXIT_INVALID = 2

MASK = "********"


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def configure_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def run(main: Callable[[Settings], Coroutine[Any, Any, T]], *, find_dev_redis: bool = True) -> T:
    """Run a command's coroutine; report Switchboard's errors as one line, not a traceback.

    ``find_dev_redis``: with REDIS_URL unset, use a running ``switchboard dev``'s Redis.
    """
    try:
        settings = load_settings()
        if find_dev_redis:
            settings = with_dev_redis(settings)
        return asyncio.run(main(settings))
    except ConfigValidationError as exc:
        click.echo("error: invalid input", err=True)
        for field, reason in exc.errors.items():
            click.echo(f"  {field}: {reason}", err=True)
        sys.exit(EXIT_INVALID)
    except InvalidEventError as exc:
        fail(str(exc), EXIT_INVALID)
    except SwitchboardError as exc:
        fail(str(exc))
    except REDIS_DOWN_ERRORS as exc:
        # Redis went away after the session opened.
        url = redact_url(with_dev_redis(load_settings()).effective_redis_url)
        fail(str(RedisUnavailableError(url, describe_redis_error(exc))))


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


#: Where a running `switchboard dev` records its Redis URL and pid, in the data folder.
DEV_STATE_FILE = "dev.json"
#: The secret key `switchboard dev` makes and keeps when SWITCHBOARD_SECRET_KEY is unset.
DEV_SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def dev_secret_key(data_dir: Path, *, create: bool = False) -> str | None:
    """The key in the data folder (made, readable by its owner only, when ``create``;
    so is the folder when it does not exist yet)."""
    path = data_dir / DEV_SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = generate_secret_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def dev_state(data_dir: Path) -> dict[str, Any]:
    """What ``switchboard dev`` recorded in the data folder (``pid``, its own; ``redis_url``
    and ``redis_pid``, its embedded Redis's), or ``{}`` when there is nothing readable."""
    try:
        state = orjson.loads((data_dir / DEV_STATE_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def dev_pid_alive(pid: object) -> bool:
    """Whether ``pid`` (from ``dev_state``) is a process that is still alive."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, but someone else's
    except (OSError, OverflowError):
        return False
    return True


def dev_redis_url(data_dir: Path) -> str | None:
    """The URL of a running ``switchboard dev``'s embedded Redis, if there is one."""
    state = dev_state(data_dir)
    url = state.get("redis_url")
    return url if isinstance(url, str) and dev_pid_alive(state.get("pid")) else None


def with_dev_redis(settings: Settings) -> Settings:
    """With REDIS_URL unset, use a running ``switchboard dev``'s Redis when there is one,
    and its secret key unless SWITCHBOARD_SECRET_KEY is set."""
    if settings.redis_url is not None:
        return settings
    url = dev_redis_url(settings.data_dir)
    if url is None:
        return settings
    updates: dict[str, object] = {"redis_url": url}
    key = dev_secret_key(settings.data_dir) if settings.secret_key is None else None
    if key is not None:
        updates["secret_key"] = SecretStr(key)
    return settings.model_copy(update=updates)


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
        yield AdminSession(settings, manager, store, ConfigAdmin(manager, store))


def masked_settings(settings: Mapping[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    # An unset secret shows as null: that it is unset is no secret, and worth seeing.
    return {
        key: (MASK if key in secret and value is not None else value)
        for key, value in settings.items()
    }


def record_json(record: ConfigRecord, admin: ConfigAdmin) -> dict[str, Any]:
    """A record for display: secrets masked, orphan status shown."""
    data = record.model_dump(mode="json")
    data["settings"] = masked_settings(record.settings, admin.secret_settings(record))
    data["orphaned"] = admin.is_orphaned(record)
    return data


def echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(padded).rstrip())


def plural(count: int, one: str, many: str) -> str:
    """``1 delivery``, ``2 deliveries``."""
    return f"{count} {one if count == 1 else many}"
