"""``switchboard dev``: everything a newcomer needs, in one process tree.

With ``REDIS_URL`` unset it starts an embedded Redis that persists under the
data folder, and records its URL in ``<data dir>/dev.json`` so that
``switchboard`` commands in other shells find it. Then it follows the
configurations, enabling integrations as they are configured, until Ctrl-C
(or SIGTERM) stops all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import click
import orjson

from switchboard.config import (
    ConfigCache,
    ConfigStore,
    EmbeddedRedis,
    RedisKeys,
    Settings,
    open_redis,
    redact_url,
)
from switchboard.integrations import IntegrationManager

from .common import DEV_STATE_FILE, dev_redis_url, run

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


async def _follow_configurations(settings: Settings) -> None:
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_redis(settings) as redis:
        store = ConfigStore(redis, RedisKeys(settings.key_prefix))
        async with ConfigCache(store, redis, poll_interval=settings.config_poll_interval) as cache:
            with manager.running(cache):
                installed = ", ".join(i.integration_id for i in manager.get_integrations())
                click.echo(f"integrations: {installed or '(none installed)'}")
                click.echo(f"configurations: {len(cache.records)} loaded; Ctrl-C stops everything")
                await stop.wait()
    click.echo("stopped")


@click.command()
def dev() -> None:
    """Run Switchboard locally (an embedded Redis when REDIS_URL is unset)."""
    logging.getLogger("switchboard").setLevel(logging.INFO)

    async def main(settings: Settings) -> None:
        if settings.redis_url is not None:
            click.echo(f"redis: {redact_url(settings.redis_url)} (from REDIS_URL)")
            await _follow_configurations(settings)
            return
        data_dir = settings.data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        if dev_redis_url(data_dir):
            raise click.ClickException(f"switchboard dev is already running for {data_dir}")
        with _embedded_redis(data_dir) as url:
            click.echo(f"redis: {url} (embedded, data in {data_dir / 'redis'})")
            click.echo("other shells: `switchboard ...` commands find this Redis by themselves")
            await _follow_configurations(settings.model_copy(update={"redis_url": url}))

    run(main, find_dev_redis=False)
