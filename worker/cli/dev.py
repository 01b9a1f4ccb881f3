"""``switchboard dev``: everything a newcomer needs, in one process tree.

With ``REDIS_URL`` unset it starts an embedded Redis that persists under the
data folder, and records its URL in ``<data dir>/dev.json`` so that
``switchboard`` commands in other shells find it. Then it runs a worker in
this process, logging each event and delivery, until Ctrl-C (or SIGTERM)
drains the worker and stops all of it.

One embedded Redis per data folder: it holds a lock there (so does dev), and a
second dev in the same folder refuses, naming the first. Killed outright, dev
takes its Redis along on Linux (the kernel sends it SIGTERM); elsewhere the
Redis stays up, and the next dev names it and says how to stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import socket
import time
from collections.abc import Iterator, Mapping
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

import click
import orjson
from pydantic import SecretStr

from switchboard.config import EmbeddedRedis, Scope, Settings, redact_url

from ..logs import configure_logging
from .common import run, stop_on_signals
from .dev_state import (
    DEV_SECRET_KEY_FILE,
    DEV_STATE_FILE,
    DEV_TOKEN_FILES,
    dev_pid_alive,
    dev_secret_key,
    dev_state,
    dev_token,
)
from .web import serve_web
from .worker import serve_worker

__all__ = ["DEV_WEB_PORT", "LOOPBACK_NETWORKS", "dev"]

#: What `switchboard dev` lets through the SSRF guard unless SWITCHBOARD_ALLOW_CIDRS says.
LOOPBACK_NETWORKS = (IPv4Network("127.0.0.0/8"), IPv6Network("::1/128"))

#: Where `switchboard dev` serves the web app when the port is free.
DEV_WEB_PORT = 8000


@contextlib.contextmanager
def _embedded_redis(data_dir: Path, lock_wait: float) -> Iterator[str]:
    server = EmbeddedRedis(data_dir=data_dir / "redis")
    _claim(server, data_dir, lock_wait)
    state_file = data_dir / DEV_STATE_FILE
    try:
        _write_state(state_file, {"pid": os.getpid()})  # taken: a second dev names us now
        url = server.start()
        _write_state(state_file, {"redis_url": url, "pid": os.getpid(), "redis_pid": server.pid})
        yield url
    finally:
        state_file.unlink(missing_ok=True)
        server.stop()


def _claim(server: EmbeddedRedis, data_dir: Path, lock_wait: float) -> None:
    """Take the data folder for our Redis, or refuse, saying who has it.

    With no living dev holding the lock, wait up to ``lock_wait`` seconds for it to go:
    the Redis of a dev killed a moment ago is still writing its append-only file.
    """
    deadline = time.monotonic() + lock_wait
    while not server.claim():
        state = dev_state(data_dir)
        if dev_pid_alive(state.get("pid")) or time.monotonic() >= deadline:
            raise click.ClickException(_taken_message(server, data_dir, state))
        time.sleep(0.05)  # polling a lock: another process's unlock notifies nobody


def _taken_message(server: EmbeddedRedis, data_dir: Path, state: Mapping[str, Any]) -> str:
    pid, url, redis_pid = state.get("pid"), state.get("redis_url"), state.get("redis_pid")
    if dev_pid_alive(pid):
        redis = f", Redis at {url}" if isinstance(url, str) else ""
        return (
            f"switchboard dev is already running for {data_dir} (pid {pid}{redis}); "
            "`switchboard ...` commands in other shells already use its Redis. "
            "Stop it first (Ctrl-C in its shell), or set SWITCHBOARD_DATA_DIR to another folder."
        )
    if pid:
        who = f"The switchboard dev that used {data_dir} (pid {pid}) is gone"
    else:
        who = f"No switchboard dev is running for {data_dir}"
    if dev_pid_alive(redis_pid):
        return (
            f"{who}, but its redis-server (pid {redis_pid}) is still running, on its data. "
            f"Stop it (`kill {redis_pid}`), then run switchboard dev again."
        )
    return (
        f"{who}, but another process still holds {server.lock_path}: a redis-server that a "
        f"killed dev left running, probably. `fuser {server.lock_path}` (or `lsof`) names it; "
        "stop it, then run switchboard dev again."
    )


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    """Replace ``dev.json`` at once: other shells read it at any moment."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(state))
    partial.replace(path)


def _web_port(preferred: int) -> int:
    """``preferred`` if it is free on loopback, else 0 (any free port): dev must not fail on it."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return 0
    return preferred


def _api_tokens(settings: Settings) -> Settings:
    """``settings`` with the API's admin and ingest tokens: the environment's, else the ones
    kept in the data folder (made on first use).

    Where each is comes out, never its value: dev's output is its log, and a secret goes
    in no log. The ``export`` line reads the files, which is what curl in another shell
    needs; ``switchboard`` commands find the tokens by themselves.
    """
    data_dir = settings.data_dir.resolve()
    updates: dict[str, object] = {}
    kept: list[str] = []
    for scope, field in ((Scope.ADMIN, "admin_token"), (Scope.INGEST, "ingest_token")):
        variable = f"SWITCHBOARD_{field.upper()}"
        if getattr(settings, field) is not None:
            click.echo(f"{scope} token: from {variable}")
            continue
        token = dev_token(data_dir, scope, create=True) or ""
        updates[field] = SecretStr(token)
        path = data_dir / DEV_TOKEN_FILES[scope]
        click.echo(f"{scope} token: in {path}")
        kept.append(f'{variable}="$(cat {shlex.quote(str(path))})"')
    if kept:
        # `switchboard` commands find them by themselves (dev_state); curl needs them exported.
        click.echo(f"tokens, for curl in other shells: export {' '.join(kept)}")
    return settings.model_copy(update=updates)


async def _run_services(settings: Settings) -> None:
    configure_logging(settings)
    if settings.secret_key is None:
        data_dir = settings.data_dir.resolve()
        key = dev_secret_key(data_dir, create=True)
        settings = settings.model_copy(update={"secret_key": SecretStr(key or "")})
        click.echo(f"secrets: encrypted at rest with the key in {data_dir / DEV_SECRET_KEY_FILE}")
    settings = _api_tokens(settings)
    if not settings.allow_cidrs:
        # Trying things out means local receivers; production workers allow none by default.
        settings = settings.model_copy(update={"allow_cidrs": LOOPBACK_NETWORKS})
    allowed = ", ".join(str(network) for network in settings.allow_cidrs)
    click.echo(f"outbound: public addresses, and {allowed} (SWITCHBOARD_ALLOW_CIDRS)")
    click.echo(
        f"worker: in this process (pid {os.getpid()}), queue {settings.effective_queue_name}, "
        f"concurrency {settings.worker_concurrency}"
    )
    with stop_on_signals() as stop:
        web = asyncio.create_task(serve_web(settings, "127.0.0.1", _web_port(DEV_WEB_PORT), stop))
        click.echo("Ctrl-C stops everything; logs follow")
        await serve_worker(settings, stop)
        await web
    click.echo("stopped")


@click.command()
def dev() -> None:
    """Run Switchboard locally (an embedded Redis when REDIS_URL is unset)."""

    async def main(settings: Settings) -> None:
        if settings.redis_url is not None:
            click.echo(f"redis: {redact_url(settings.redis_url)} (from REDIS_URL)")
            await _run_services(settings)
            return
        data_dir = settings.data_dir.resolve()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _embedded_redis(data_dir, settings.dev_lock_wait) as url:
            click.echo(f"redis: {url} (embedded, data in {data_dir / 'redis'})")
            click.echo("other shells: `switchboard ...` commands find this Redis by themselves")
            await _run_services(settings.model_copy(update={"redis_url": url}))

    run(main, find_dev_redis=False)
