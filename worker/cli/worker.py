"""``switchboard worker``: take events from the queue and deliver them, until stopped."""

from __future__ import annotations

import asyncio
import signal

import click

from switchboard.config import Settings
from switchboard.integrations import IntegrationManager

from ..logs import configure_logging
from ..runner import WorkerRunner
from .common import run

__all__ = ["serve_worker", "worker"]


async def serve_worker(settings: Settings) -> None:
    """Run a worker in this process until SIGTERM or SIGINT, then drain and return."""
    configure_logging(settings)
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await WorkerRunner(settings, manager).run(stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@click.command()
def worker() -> None:
    """Run a worker: deliver queued events until SIGTERM or Ctrl-C (which drain first).

    Run as many as you like, on as many machines, against one Redis: each
    event is dispatched by one of them.
    """
    run(serve_worker)
