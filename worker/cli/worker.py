"""``switchboard worker``: take events from the queue and deliver them, until stopped."""

from __future__ import annotations

import asyncio
import gc

import click

from switchboard.config import Settings
from switchboard.integrations import IntegrationManager

from ..logs import configure_logging
from ..runner import WorkerRunner
from .common import run, stop_on_signals

__all__ = ["serve_worker", "worker"]


async def serve_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run a worker with the installed integrations until ``stop`` is set, then drain."""
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    tune_garbage_collector()
    await WorkerRunner(settings, manager).run(stop)


#: Allocations between two young-generation collections (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect cycles less often: a worker allocates and frees thousands of short-lived
    objects per delivery batch, nearly all freed by reference counting, and the default
    thresholds spent about a quarter of the CPU at fan-out 10 walking them (bench/:
    2,260 -> 3,000 deliveries/s). What was loaded at start-up is frozen out of every
    collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 10)


@click.command()
def worker() -> None:
    """Run a worker: deliver queued events until SIGTERM or Ctrl-C (which drain first).

    Run as many as you like, on as many machines, against one Redis: each
    event is dispatched by one of them.
    """

    async def main(settings: Settings) -> None:
        configure_logging(settings)
        with stop_on_signals() as stop:
            await serve_worker(settings, stop)

    run(main)
