"""``Supervisor``: children restarted with backoff, stopped by SIGTERM, killed when late;
invalid settings stop them all. The children are small real processes (``CHILD``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from switchboard.testing.waiting import wait_for
from switchboard.worker.supervisor import Supervisor, SupervisorTuning

#: A child: does what its name's file says (``exit N``, ``run``, ``stubborn``: SIGTERM is
#: ignored), notes in ``.ready`` beside it that it listens for SIGTERM, and in ``.term``
#: that it got one.
CHILD = """
import pathlib, signal, sys
plan = pathlib.Path(sys.argv[1])
what = plan.read_text().split()
def on_term(signum, frame):
    plan.with_suffix(".term").write_text("term")
    if what[0] != "stubborn":
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
plan.with_suffix(".ready").write_text("ready")
if what[0] == "exit":
    sys.exit(int(what[1]))
while True:
    signal.pause()  # until a signal: a stand-in worker does nothing else
"""

QUICK = SupervisorTuning(processes=2, restart_first=0.05, restart_max=0.2, stop_timeout=5.0)


def children(tmp_path: Path, **plans: str) -> object:
    for name, plan in plans.items():
        (tmp_path / f"{name}.plan").write_text(plan)

    def command(name: str) -> Sequence[str]:
        return [sys.executable, "-c", CHILD, str(tmp_path / f"{name}.plan")]

    return command


async def test_a_crashing_child_is_started_again_ever_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "switchboard.worker.supervisor")
    command = children(tmp_path, **{"worker-1": "exit 1", "worker-2": "run"})
    supervisor = Supervisor(QUICK, command)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))

    def restarts() -> list[float]:
        return [
            r.switchboard_fields["restart_in_s"]  # type: ignore[attr-defined]
            for r in caplog.records
            if r.getMessage() == "worker process exited: starting it again"
        ]

    await wait_for(lambda: len(restarts()) >= 4, what="four restarts of worker-1")
    await wait_for(lambda: _ready(tmp_path, "worker-2"), what="worker-2")
    assert restarts()[:4] == [0.05, 0.1, 0.2, 0.2]  # doubled, up to the max
    assert "worker-2" in supervisor.pids  # the healthy one ran on untouched
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert (tmp_path / "worker-2.term").exists()  # stopped by SIGTERM


async def test_sigterm_stops_every_child_and_the_supervisor_exits_0(tmp_path: Path) -> None:
    command = children(tmp_path, **{"worker-1": "run", "worker-2": "run"})
    supervisor = Supervisor(QUICK, command)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    await wait_for(lambda: _ready(tmp_path, "worker-1", "worker-2"), what="two children")
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert (tmp_path / "worker-1.term").exists()
    assert (tmp_path / "worker-2.term").exists()
    assert supervisor.pids == {}


async def test_a_child_that_outlasts_the_stop_timeout_is_killed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "switchboard.worker.supervisor")
    command = children(tmp_path, **{"worker-1": "stubborn"})
    tuning = SupervisorTuning(processes=1, stop_timeout=0.3)
    supervisor = Supervisor(tuning, command)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    await wait_for(lambda: _ready(tmp_path, "worker-1"), what="the child")
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert (tmp_path / "worker-1.term").exists()  # asked first
    assert "worker process did not stop in time: killed" in caplog.messages


async def test_invalid_settings_stop_them_all_with_exit_code_2(tmp_path: Path) -> None:
    command = children(tmp_path, **{"worker-1": "run", "worker-2": "run"})
    supervisor = Supervisor(QUICK, command)  # type: ignore[arg-type]
    (tmp_path / "worker-2.plan").write_text("run")  # until worker-1 listens for SIGTERM
    task = asyncio.create_task(supervisor.run(asyncio.Event()))
    await wait_for(lambda: _ready(tmp_path, "worker-1", "worker-2"), what="two children")
    (tmp_path / "worker-2.plan").write_text("exit 2")
    crashing = supervisor.pids["worker-2"]
    os.kill(crashing, signal.SIGKILL)  # its next start refuses its settings
    code = await asyncio.wait_for(task, 10)
    assert code == 2
    assert (tmp_path / "worker-1.term").exists()  # the healthy one was stopped


def _ready(tmp_path: Path, *names: str) -> bool:
    return all((tmp_path / f"{name}.ready").exists() for name in names)
