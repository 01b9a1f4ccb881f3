"""What a running ``switchboard dev`` leaves in its data folder, and how other commands find it.

``dev`` records its pid and its embedded Redis's URL in ``<data dir>/dev.json``
and keeps a secret key in ``<data dir>/secret.key`` and the API's admin and ingest
tokens in ``admin.token`` and ``ingest.token`` (each readable by its owner only). With
``REDIS_URL`` unset,
every other command looks for a living dev's file in the data folder
(``SWITCHBOARD_DATA_DIR``, ``.switchboard`` by default) and, when that path is
relative, in the same folder of each parent directory, as git looks for
``.git``: so a shell anywhere inside the project finds dev's Redis. Which
Redis a command uses, and why, is a ``RedisChoice``: its ``source`` is said in
the error when that Redis does not answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from switchboard.config import Scope, Settings, generate_secret_key, new_token_secret

__all__ = [
    "DEV_SECRET_KEY_FILE",
    "DEV_STATE_FILE",
    "DEV_TOKEN_FILES",
    "RedisChoice",
    "choose_redis",
    "dev_pid_alive",
    "dev_redis_url",
    "dev_secret_key",
    "dev_state",
    "dev_token",
]

#: Where a running `switchboard dev` records its Redis URL and pid, in the data folder.
DEV_STATE_FILE = "dev.json"
#: The secret key `switchboard dev` makes and keeps when SWITCHBOARD_SECRET_KEY is unset.
DEV_SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


#: The API tokens `switchboard dev` makes and keeps when SWITCHBOARD_ADMIN_TOKEN and
#: SWITCHBOARD_INGEST_TOKEN are unset, by scope.
DEV_TOKEN_FILES = {Scope.ADMIN: "admin.token", Scope.INGEST: "ingest.token"}


def dev_secret_key(data_dir: Path, *, create: bool = False) -> str | None:
    """The key in the data folder (made, readable by its owner only, when ``create``;
    so is the folder when it does not exist yet)."""
    return _kept(data_dir / DEV_SECRET_KEY_FILE, generate_secret_key if create else None)


def dev_token(data_dir: Path, scope: Scope, *, create: bool = False) -> str | None:
    """The API token of ``scope`` in the data folder (made as the key is, when ``create``)."""
    return _kept(data_dir / DEV_TOKEN_FILES[scope], new_token_secret if create else None)


def _kept(path: Path, make: Callable[[], str] | None) -> str | None:
    """The secret in ``path``; else, with ``make``, a new one written there (mode 0600, and
    its folder 0700 when it does not exist yet): of two processes making it at once, the
    second reads the first's."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if make is None:
            return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    return value


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisChoice:
    """The settings a command runs with, and where their Redis URL came from."""

    settings: Settings
    #: In words, for an error: "REDIS_URL", "switchboard dev (/path/dev.json)", or the default.
    source: str
    #: How to reach another Redis, when this one is the default nobody chose.
    hint: str = ""


def choose_redis(settings: Settings, *, find_dev: bool = True) -> RedisChoice:
    """``REDIS_URL`` when set; else a running ``switchboard dev``'s Redis (and its secret key
    and API tokens, unless set here) when ``find_dev`` finds one; else the default."""
    if settings.redis_url is not None:
        return RedisChoice(settings=settings, source="REDIS_URL")
    searched = _data_dirs(settings.data_dir)
    for data_dir in searched if find_dev else ():
        url = dev_redis_url(data_dir)
        if url is None:
            continue
        updates: dict[str, object] = {"redis_url": url}
        key = dev_secret_key(data_dir) if settings.secret_key is None else None
        if key is not None:
            updates["secret_key"] = SecretStr(key)
        for scope, field in ((Scope.ADMIN, "admin_token"), (Scope.INGEST, "ingest_token")):
            token = dev_token(data_dir, scope) if getattr(settings, field) is None else None
            if token is not None:
                updates[field] = SecretStr(token)
        return RedisChoice(
            settings=settings.model_copy(update=updates),
            source=f"switchboard dev ({data_dir / DEV_STATE_FILE})",
        )
    where = searched[0] if len(searched) == 1 else f"{settings.data_dir} here or above"
    return RedisChoice(
        settings=settings,
        source=f"the default: REDIS_URL is unset and no switchboard dev runs for {where}",
        hint="Set REDIS_URL, or run this inside the folder where `switchboard dev` runs "
        "(or set SWITCHBOARD_DATA_DIR to its data folder).",
    )


def _data_dirs(data_dir: Path) -> list[Path]:
    """``data_dir`` itself when absolute; else it in the working directory and each parent."""
    if data_dir.is_absolute():
        return [data_dir]
    here = Path.cwd()
    return [folder / data_dir for folder in (here, *here.parents)]
