"""``switchboard worker``: take events from the queue and deliver them, until stopped."""

from __future__ import annotations

import asyncio
import gc
import os
import sys

import click

from switchboard.config import Settings
from switchboard.integrations import IntegrationManager

from ..logs import configure_logging
from ..runner import WorkerRunner
from ..supervisor import Supervisor, SupervisorTuning
from .common import run, stop_on_signals

__all__ = ["serve_worker", "worker"]


async def serve_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run a worker with the installed integrations until ``stop`` is set, then drain."""
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    tune_garbage_collector()
    await WorkerRunner(settings, manager).run(stop)


#: Objects allocated and not yet freed between two young-generation collections
#: (Python's default: 700).
GC_YOUNG_THRESHOLD = 200_000


def tune_garbage_collector() -> None:
    """Collect cycles less often: a worker allocates and frees thousands of short-lived
    objects per delivery batch, nearly all freed by reference counting, and the default
    thresholds spent about a quarter of the CPU at fan-out 10 walking them (bench/:
    2,260 -> 3,000 deliveries/s). Python counts allocations net of frees, so a threshold
    above what a full admission of deliveries holds alive (about 100,000 objects at 512
    in flight) is crossed by garbage cycles and lasting growth, not by the deliveries in
    progress: at 50,000 a 60,000-delivery backlog had 15 collections of 17 ms each (2% of
    the CPU, and 17 ms pauses), at 200,000 one. What was loaded at start-up is frozen
    out of every collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 10)


class _Processes(click.ParamType):  # type: ignore[type-arg]  # generic in new clicks, not 8.1
    """A number of processes, at least 1, or ``auto``: one a CPU this process may use."""

    name = "N|auto"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return (
                len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else (os.cpu_count() or 1)
            )
        try:
            number = int(text)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'auto'", param, ctx)
        if number < 1:
            self.fail(f"{number} is fewer than 1", param, ctx)
        return number


@click.command()
@click.option(
    "--processes",
    type=_Processes(),
    default="1",
    show_default=True,
    help="Worker processes to run under one supervisor (auto: one a CPU).",
)
@click.option("--process-name", hidden=True, help="Set by the supervisor for its children.")
def worker(processes: int, process_name: str | None) -> None:
    """Run a worker: deliver queued events until SIGTERM or Ctrl-C (which drain first).

    Run as many as you like, on as many machines, against one Redis: each
    event is dispatched by one of them. --processes runs several on this
    machine, one a core, restarted if they crash.
    """
    if processes > 1 and process_name is None:
        run(lambda settings: _supervise(settings, processes))
        return

    async def main(settings: Settings) -> None:
        configure_logging(settings, process_name)
        with stop_on_signals() as stop:
            await serve_worker(settings, stop)

    run(main)


async def _supervise(settings: Settings, processes: int) -> None:
    configure_logging(settings, "supervisor")
    supervisor = Supervisor(SupervisorTuning.from_settings(settings, processes))
    with stop_on_signals() as stop:
        code = await supervisor.run(stop)
    if code:
        sys.exit(code)
