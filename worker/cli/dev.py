"""``switchboard dev``: everything a newcomer needs, in one process tree.

With ``REDIS_URL`` unset it starts an embedded Redis that persists under the
data folder, and records its URL in ``<data dir>/dev.json`` so that
``switchboard`` commands in other shells find it. Then it runs a worker in
this process, logging each event and delivery, until Ctrl-C (or SIGTERM)
drains the worker and stops all of it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import click
import orjson

from switchboard.config import EmbeddedRedis, Settings, redact_url

from .common import DEV_STATE_FILE, dev_redis_url, run
from .worker import serve_worker

__all__ = ["dev"]


@contextlib.contextmanager
def _embedded_redis(data_dir: Path) -> Iterator[str]:
    server = EmbeddedRedis(data_dir=data_dir / "redis")
    url = server.start()
    state_file = data_dir / DEV_STATE_FILE
    state_file.write_bytes(orjson.dumps({"redis_url": url, "pid": os.getpid()}))
    try:
        yield url
    finally:
        state_file.unlink(missing_ok=True)
        server.stop()


async def _run_services(settings: Settings) -> None:
    click.echo(
        f"worker: in this process (pid {os.getpid()}), queue {settings.effective_queue_name}, "
        f"concurrency {settings.worker_concurrency}"
    )
    click.echo("web: not part of this version yet (see the README)")
    click.echo("Ctrl-C stops everything; logs follow")
    await serve_worker(settings)
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
        data_dir.mkdir(parents=True, exist_ok=True)
        if dev_redis_url(data_dir):
            raise click.ClickException(f"switchboard dev is already running for {data_dir}")
        with _embedded_redis(data_dir) as url:
            click.echo(f"redis: {url} (embedded, data in {data_dir / 'redis'})")
            click.echo("other shells: `switchboard ...` commands find this Redis by themselves")
            await _run_services(settings.model_copy(update={"redis_url": url}))

    run(main, find_dev_redis=False)
