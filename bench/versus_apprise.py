"""Switchboard against Apprise: the same messages to a Mattermost and a Matrix server.

Both sides post to one ``bench.chat_sink`` process (Mattermost's incoming webhook, and
Matrix's client-server API), which counts what arrived: a message counts only once it
is there (for Matrix, once per transaction id, as a homeserver would keep it).

* Apprise (``bench.apprise_send``, a process per run): ``mmost://`` and ``matrix://``
  (user and password: with a bare token Apprise sends every message under one
  transaction id, which a homeserver keeps once), by ``notify``, awaited
  ``async_notify`` and gathered ``async_notify``, with Apprise's own pacing off (its
  best case), then the first two as shipped, pacing on, on fewer messages (its sleep
  sets the rate: 2 a second for Matrix).
* Switchboard: the events emitted (one ``emit`` each, concurrently, as an app's request
  handlers would) to one ``switchboard worker`` process configured as a user runs it
  (attempt log, signing, SSRF guard, retries; no ``rate_limit``, the default connection
  limits) with the ``switchboard.mattermost`` and ``switchboard.matrix`` integrations.
  Where those are not installed, the scenario says so and uses ``switchboard.slack``
  (Slack's payload, to a path answering Slack's ``ok``) with a ``rate_limit`` raised
  out of the way: the same engine, labelled as such in the results.

CPU per message is the sending process's on Apprise's side; on Switchboard's, the
worker's (read from ``/proc``) and the emitting process's, while the messages went.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from switchboard.config import ConfigStore, Settings, open_redis
from switchboard.integrations import ConfigAdmin, IntegrationManager
from switchboard.worker import EventClient

from .apprise_send import BODY, TITLE
from .harness import (
    ROOT,
    SinkProcess,
    Workers,
    private_redis,
    process_cpu_seconds,
    settings_for,
    sink_process,
    worker_env,
)

__all__ = ["SERVICES", "versus_apprise"]

SERVICES = ("mattermost", "matrix")
APPRISE_MODES = ("notify", "async_notify", "async_gather")
AS_SHIPPED_MODES = ("notify", "async_notify")
ROOM = "!bench:localhost"
#: Out of the way of the fallback's Slack default of 1 a second: a rate no run reaches.
UNTHROTTLED = 1_000_000.0


def apprise_url(service: str, sink: SinkProcess) -> str:
    if service == "mattermost":
        return f"mmost://127.0.0.1:{sink.port}/benchhook0000000000000000000"
    return f"matrix://bench:secret@127.0.0.1:{sink.port}/{ROOM}"


async def _apprise_run(
    service: str, mode: str, sink: SinkProcess, count: int, *, as_shipped: bool = False
) -> dict[str, Any]:
    await sink.get("reset")
    command = [sys.executable, "-m", "bench.apprise_send", mode, apprise_url(service, sink),
               str(count), *(["--as-shipped"] if as_shipped else [])]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {err.decode()[-2000:]}")
    run: dict[str, Any] = orjson.loads(out)
    stats = await sink.get("stats")
    return _figures(
        run["seconds"],
        run["cpu_seconds"],
        count,
        stats.get(service, 0),
        # What Apprise said it sent, and Matrix sends under a transaction id already used
        # (a homeserver keeps only the first): where the two counts part.
        reported=run["succeeded"],
        repeats=stats.get("matrix_repeats", 0),
    )


def _figures(
    seconds: float, cpu: float, count: int, delivered: int, **extra: Any
) -> dict[str, Any]:
    return {
        "messages": count,
        "delivered": delivered,
        "seconds": seconds,
        "messages_per_second": delivered / seconds,
        "cpu_ms_per_message": cpu * 1000 / count,
        **extra,
    }


def _configuration(service: str, sink: SinkProcess, real: bool) -> dict[str, Any]:
    """The ``ConfigAdmin.create`` arguments for ``service``'s configuration."""
    if not real:
        return {"integration_id": "switchboard.slack", "rate_limit": UNTHROTTLED,
                "settings": {"webhook_url": sink.url(f"/slack/{service}")}}  # fmt: skip
    if service == "mattermost":
        settings: dict[str, Any] = {"webhook_url": sink.url("/hooks/benchhook0000000000000000000"),
                                    "notify_username": "switchboard"}  # fmt: skip
    else:
        settings = {"server": sink.url(""), "room_id": ROOM, "access_token": "bench-token-sb"}
    return {"integration_id": f"switchboard.{service}", "settings": settings}


async def _switchboard_run(
    service: str, sink: SinkProcess, count: int, manager: IntegrationManager
) -> dict[str, Any]:
    real = manager.is_registered(f"switchboard.{service}")
    config = _configuration(service, sink, real)
    counted = service if real else "slack"
    with private_redis() as redis_server, tempfile.TemporaryDirectory() as logs:
        settings: Settings = settings_for(redis_server.url)
        async with open_redis(settings) as redis:
            admin = ConfigAdmin(manager, ConfigStore.for_settings(redis, settings))
            await admin.create(config.pop("integration_id"), name=f"bench {service}", **config)
        env = worker_env(redis_server.url)
        # One real endpoint here, not a sink standing for many: the shipped per-host limit.
        del env["SWITCHBOARD_HTTP_MAX_CONNECTIONS_PER_HOST"]
        workers = Workers(env, 1, Path(logs))
        try:
            await workers.started()
            await sink.get("reset")
            async with EventClient(settings) as client:
                worker_cpu = process_cpu_seconds(workers.processes[0].pid)
                started, emit_cpu = time.monotonic(), time.process_time()
                event = {"title": TITLE, "text": BODY}
                await asyncio.gather(*(client.emit("bench.message", event) for _ in range(count)))
                emit_cpu = time.process_time() - emit_cpu
                finished = await sink.wait_count(count, timeout=300)
                worker_cpu = process_cpu_seconds(workers.processes[0].pid) - worker_cpu
            stats = await sink.get("stats")
        finally:
            workers.stop()
    return {
        "integration": f"switchboard.{service}" if real else "switchboard.slack",
        "fallback": not real,
        **_figures(finished - started, worker_cpu + emit_cpu, count, stats.get(counted, 0)),
        "worker_cpu_ms_per_message": worker_cpu * 1000 / count,
        "emit_cpu_ms_per_message": emit_cpu * 1000 / count,
    }


async def versus_apprise(messages: int, as_shipped_messages: int) -> dict[str, Any]:
    """For each service: Switchboard and each Apprise way, ``messages`` each (Apprise as
    shipped: ``as_shipped_messages``), all in this run."""
    manager = IntegrationManager()
    manager.load_plugins()  # as a worker finds them: the entry points
    results: dict[str, Any] = {"messages": messages, "as_shipped_messages": as_shipped_messages}
    async with sink_process("bench.chat_sink") as sink:
        for service in SERVICES:
            runs: dict[str, Any] = {}
            for mode in APPRISE_MODES:
                runs[f"apprise_{mode}"] = await _apprise_run(service, mode, sink, messages)
            for mode in AS_SHIPPED_MODES:
                runs[f"apprise_{mode}_as_shipped"] = await _apprise_run(
                    service, mode, sink, as_shipped_messages, as_shipped=True
                )
            runs["switchboard"] = await _switchboard_run(service, sink, messages, manager)
            rate = runs["switchboard"]["messages_per_second"]
            for key in ("apprise_async_notify", "apprise_async_notify_as_shipped"):
                runs[f"switchboard_vs_{key}"] = rate / runs[key]["messages_per_second"]
            results[service] = runs
    return results
