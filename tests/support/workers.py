"""Running workers in tests: in this process (a task), or as real ``switchboard`` processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from switchboard.config import Settings
from switchboard.integrations import Integration, IntegrationManager
from switchboard.testing.waiting import DEFAULT_TIMEOUT, wait_for
from switchboard.worker.runner import WorkerRunner

from .env import TEST_ENV

TESTS_DIR = Path(__file__).resolve().parent.parent
#: The installed console script, next to this interpreter.
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")


@asynccontextmanager
async def running_worker(
    settings: Settings, integrations: Iterable[type[Integration]] = ()
) -> AsyncIterator[IntegrationManager]:
    """A ``WorkerRunner`` in a task of this loop; stopped (drained) on exit."""
    manager = IntegrationManager()
    manager.load_plugins(settings.integrations)
    for integration_cls in integrations:
        manager.register(integration_cls)
    stop = asyncio.Event()
    task = asyncio.create_task(WorkerRunner(settings, manager).run(stop))
    try:
        yield manager
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=DEFAULT_TIMEOUT)


class WorkerProcess:
    """``switchboard worker`` in a subprocess, its stderr kept in a file to read."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *args: str,
        cwd: Path | None = None,
        shell_command: str | None = None,
        test_env: bool = True,
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        full_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
            **(TEST_ENV if test_env else {}),
            **env,
        }
        argv = [SWITCHBOARD, *(args or ("worker",))]
        if shell_command is not None:  # as a Procfile runner would: through sh, on PATH
            argv = ["/bin/sh", "-c", f"exec {shell_command}"]
            full_env["PATH"] = os.pathsep.join([str(Path(SWITCHBOARD).parent), full_env["PATH"]])
        self.process = subprocess.Popen(
            argv,
            env=full_env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_for_log(self, text: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        await wait_for(lambda: text in self.log, timeout=timeout, what=f"{text!r} in the log")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    async def wait_exit(self, *, timeout: float = DEFAULT_TIMEOUT) -> int:
        """The exit code, once the process has exited (0 included: ``poll()`` is ``None``
        only while it runs)."""
        await wait_for(lambda: self.process.poll() is not None, timeout=timeout, what="exit")
        code = self.process.poll()
        assert code is not None
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


async def run_switchboard(
    cwd: Path | None, env: Mapping[str, str], *args: str, timeout: float = 30.0
) -> tuple[int, str, str]:
    """``switchboard ARGS`` as a process, with exactly ``env``: (exit code, stdout, stderr).
    Killed when it outlasts ``timeout`` (a command that should have ended, say)."""
    process = await asyncio.create_subprocess_exec(
        SWITCHBOARD,
        *args,
        cwd=cwd,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
