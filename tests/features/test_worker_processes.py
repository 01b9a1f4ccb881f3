"""``switchboard worker --processes 2``: two workers under one supervisor, one log stream
with each line's process, a killed child started again, SIGTERM draining both, and no
orphans when the supervisor itself is killed."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from support.webhooks import add_webhook
from support.workers import WorkerProcess

from switchboard.config import ConfigStore, Settings
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for
from switchboard.worker import EventClient


def _child_pid(log: str, name: str) -> int:
    """The pid of the newest start of child ``name`` in the supervisor's log."""
    starts = re.findall(rf"worker process started process={name} pid=(\d+)", log)
    return int(starts[-1])


def _alive(pid: int) -> bool:
    """Running: neither gone nor a zombie waiting for init to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


async def test_two_processes_deliver_restart_and_drain(
    settings: Settings, store: ConfigStore, redis_url: str, tmp_path: Path
) -> None:
    env = {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}
    async with RecordingSink() as sink:
        await add_webhook(store, "w", sink.url("/w"))
        supervisor = WorkerProcess(env, tmp_path / "supervisor.log", "worker", "--processes", "2")
        try:
            for name in ("worker-1", "worker-2"):
                await supervisor.wait_for_log(f"INFO {name} worker started")
            async with EventClient(settings) as client:
                ids = await client.emit_many([{"type": "a.b", "data": {"n": n}} for n in range(40)])
            await wait_for(
                lambda: {r.json["id"] for r in sink.received} == set(ids), what="every event"
            )
            first = _child_pid(supervisor.log, "worker-1")
            os.kill(first, signal.SIGKILL)
            await supervisor.wait_for_log("process=worker-1 exit_code=SIGKILL restart_in_s=0.5")
            await wait_for(
                lambda: supervisor.log.count("INFO worker-1 worker started") == 2,
                what="worker-1 started again",
            )
            assert _child_pid(supervisor.log, "worker-1") != first
            async with EventClient(settings) as client:
                after = await client.emit("a.b", {"n": "after"})
            await wait_for(lambda: after in {r.json["id"] for r in sink.received}, what="after")
            supervisor.signal(signal.SIGTERM)
            assert await supervisor.wait_exit(timeout=40) == 0
        finally:
            supervisor.kill()
    log = supervisor.log
    assert log.count("worker stopped") == 2
    assert log.index("INFO worker-2 worker stopped") < log.index("worker processes stopped")
    # One stream: every line names its process.
    for line in log.splitlines():
        assert re.match(r"\S+ \S+ (INFO|WARNING|ERROR) (supervisor|worker-[12]) ", line), line


async def test_a_killed_supervisor_leaves_no_worker_behind(redis_url: str, tmp_path: Path) -> None:
    env = {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}
    supervisor = WorkerProcess(env, tmp_path / "supervisor.log", "worker", "--processes", "2")
    try:
        for name in ("worker-1", "worker-2"):
            await supervisor.wait_for_log(f"INFO {name} worker started")
        pids = [_child_pid(supervisor.log, name) for name in ("worker-1", "worker-2")]
        supervisor.signal(signal.SIGKILL)
        # Told by the kernel, each child drains as on SIGTERM and exits.
        await wait_for(lambda: supervisor.log.count("worker stopped") == 2, what="both drained")
        await wait_for(lambda: not any(_alive(pid) for pid in pids), what="both gone")
    finally:
        supervisor.kill()
