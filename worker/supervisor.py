"""``Supervisor``: ``switchboard worker --processes N`` runs N worker processes and keeps
them running, as gunicorn's arbiter and uvicorn's process manager do.

One Python process delivers on one core; a machine with more runs one worker process a
core. Each is a whole ``switchboard worker``: its own Redis connections, queue jobs,
retry lane and leases, exactly as if started by hand, so nothing is shared but Redis
(and several machines keep working as before). The supervisor only starts them,
watches them and stops them:

* each child writes to the supervisor's stderr, one stream, its name (``worker-2``)
  in every line;
* a child that exits while the supervisor is not stopping is started again after a
  backoff (``restart_first``, doubled up to ``restart_max``; back to the first once a
  child has run ``stable_after`` seconds), except for an exit with invalid settings
  (code 2), which no restart mends: the supervisor stops the others and exits so;
* SIGTERM or SIGINT is passed on to every child as SIGTERM, and each drains as a
  worker does (``SWITCHBOARD_SHUTDOWN_GRACE``); one that outlasts ``stop_timeout`` is
  killed;
* a child is told by the kernel (Linux ``PR_SET_PDEATHSIG``, set between fork and exec
  as for ``switchboard dev``'s Redis) when the supervisor dies, and drains as on
  SIGTERM, so no orphan keeps working unsupervised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from switchboard.config import Settings
from switchboard.config.embedded import stopped_with_parent

from .logs import fields

__all__ = ["EXIT_INVALID_SETTINGS", "Supervisor", "SupervisorTuning", "child_command"]

logger = logging.getLogger("switchboard.worker.supervisor")

#: A child's exit code for invalid settings (``cli/common.py``'s ``EXIT_INVALID``).
EXIT_INVALID_SETTINGS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorTuning:
    processes: int
    #: Seconds before a crashed child starts again; doubled at each crash, up to the max.
    restart_first: float = 0.5
    restart_max: float = 30.0
    #: A child that ran this long before it exited starts again after ``restart_first``.
    stable_after: float = 60.0
    #: Seconds a stopping child may take to drain before it is killed.
    stop_timeout: float = 35.0

    @classmethod
    def from_settings(cls, settings: Settings, processes: int) -> SupervisorTuning:
        # A child's own grace, and time to write its last records and close.
        return cls(processes=processes, stop_timeout=settings.shutdown_grace + 10.0)


def child_command(name: str) -> list[str]:
    """The command line of one child: this interpreter's ``switchboard worker``, named."""
    return [sys.executable, "-m", "switchboard.worker.cli", "worker", "--process-name", name]


class Supervisor:
    def __init__(
        self,
        tuning: SupervisorTuning,
        command: Callable[[str], Sequence[str]] = child_command,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tuning = tuning
        self._command = command
        self._clock = clock
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self._stopping = asyncio.Event()
        self._exit_code = 0

    @property
    def pids(self) -> dict[str, int]:
        """The running children's process ids, by name."""
        return {name: child.pid for name, child in self._children.items()}

    async def run(self, stop: asyncio.Event) -> int:
        """Keep the children running until ``stop``; then stop them. Returns the exit code."""
        names = [f"worker-{number}" for number in range(1, self._tuning.processes + 1)]
        logger.info(
            "starting worker processes", extra=fields(processes=len(names), pid=os.getpid())
        )
        keepers = [asyncio.create_task(self._keep(name)) for name in names]
        stopping = asyncio.create_task(self._stopping.wait())
        asked = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({stopping, asked}, return_when=asyncio.FIRST_COMPLETED)
            self._stopping.set()
            if self._children:
                logger.info(
                    "stopping worker processes", extra=fields(processes=len(self._children))
                )
            for child in self._children.values():
                _signal(child, signal.SIGTERM)
            # Each keeper returns once its child has exited (drained).
            _, late = await asyncio.wait(keepers, timeout=self._tuning.stop_timeout)
            for name, child in self._children.items():
                logger.warning(
                    "worker process did not stop in time: killed", extra=fields(process=name)
                )
                _signal(child, signal.SIGKILL)
            await asyncio.gather(*late)
        finally:
            for task in (*keepers, stopping, asked):
                task.cancel()
            await asyncio.gather(*keepers, stopping, asked, return_exceptions=True)
        logger.info("worker processes stopped", extra=fields(exit_code=self._exit_code))
        return self._exit_code

    async def _keep(self, name: str) -> None:
        """Run the child ``name`` until the supervisor stops, starting it again when it exits."""
        delay = self._tuning.restart_first
        while not self._stopping.is_set():
            started = self._clock()
            try:
                code = await self._run_child(name)
            except OSError as exc:  # the interpreter cannot be started: a crash, for the backoff
                logger.error(
                    "worker process could not start",
                    extra=fields(process=name, reason=exc.strerror or type(exc).__name__),
                )
                code = 1
            if self._stopping.is_set():
                return
            if code == EXIT_INVALID_SETTINGS:
                logger.error(
                    "worker process refused its settings: stopping",
                    extra=fields(process=name, exit_code=code),
                )
                self._exit_code = code
                self._stopping.set()
                return
            if self._clock() - started >= self._tuning.stable_after:
                delay = self._tuning.restart_first
            logger.warning(
                "worker process exited: starting it again",
                extra=fields(process=name, exit_code=_described(code), restart_in_s=delay),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, self._tuning.restart_max)

    async def _run_child(self, name: str) -> int:
        # The kernel SIGTERMs the child (it drains) should the supervisor die.
        child = await asyncio.create_subprocess_exec(
            *self._command(name), preexec_fn=stopped_with_parent()
        )
        self._children[name] = child
        try:
            logger.info("worker process started", extra=fields(process=name, pid=child.pid))
            if self._stopping.is_set():  # started as the supervisor began to stop
                _signal(child, signal.SIGTERM)
            return await child.wait()
        finally:
            del self._children[name]


def _signal(child: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited
        child.send_signal(signum)


def _described(code: int) -> str:
    """An exit code as a person reads it: ``1``, or ``SIGKILL`` for a child killed so."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-code).name
    return str(code)
