"""``switchboard worker`` and ``switchboard dev`` as real processes: stopping, and Redis outages."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
import pytest
import redis
from arq.constants import in_progress_key_prefix
from support.env import TEST_SECRET_KEY
from support.webhooks import add_webhook
from support.workers import TESTS_DIR, WorkerProcess, run_switchboard

from switchboard.config import ConfigStore, EmbeddedRedis, RedisKeys, Settings, open_redis
from switchboard.testing import RecordingSink
from switchboard.testing.waiting import wait_for, wait_for_async
from switchboard.worker.producer import EventClient


@pytest.fixture
def worker_env(redis_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        process.kill()


async def _worker_to_a_gated_endpoint(
    sink: RecordingSink,
    store: ConfigStore,
    env: dict[str, str],
    tmp_path: Path,
    processes: list[WorkerProcess],
) -> tuple[asyncio.Event, WorkerProcess]:
    """A started worker (in ``processes``, to be killed), and a webhook to an endpoint
    that answers once the gate is set."""
    gate = sink.on("/slow", gate=asyncio.Event()).gate
    assert gate is not None
    await add_webhook(store, "slow", sink.url("/slow"))
    worker = WorkerProcess(env, tmp_path / "worker.log")
    processes.append(worker)
    await worker.wait_for_log("worker started")
    return gate, worker


def _queued(settings: Settings) -> int:
    client = redis.Redis.from_url(settings.effective_redis_url)
    try:
        return int(client.zcard(settings.effective_queue_name))
    finally:
        client.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_drains_what_is_in_flight_and_takes_nothing_new(
    settings: Settings,
    store: ConfigStore,
    worker_env: dict[str, str],
    processes: list[WorkerProcess],
    tmp_path: Path,
    signum: int,
) -> None:
    async with RecordingSink() as sink:
        gate, worker = await _worker_to_a_gated_endpoint(
            sink, store, worker_env, tmp_path, processes
        )
        async with EventClient(settings) as client:
            first = await client.emit("review.published", {"n": 1})
            await wait_for(lambda: sink.arrived == 1, what="the delivery to reach the sink")
            worker.signal(signum)
            await worker.wait_for_log("stopping: finishing the jobs in flight")
            second = await client.emit("review.published", {"n": 2})
        assert worker.process.poll() is None  # still finishing the first delivery
        gate.set()
        assert await worker.wait_exit() == 0
    assert [r.json["id"] for r in sink.received] == [first]
    assert "delivery delivered" in worker.log
    # The event emitted after the signal waits in the queue for the next worker.
    assert _queued(settings) == 1
    assert second not in worker.log


async def test_the_stop_line_comes_after_the_attempts_in_the_background_end(
    settings: Settings,
    store: ConfigStore,
    worker_env: dict[str, str],
    processes: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    """A slow endpoint's attempt goes on in the background after its job ended: the worker
    waits for it, within the grace period, and says so, before it says it stopped."""
    async with RecordingSink() as sink:
        gate, worker = await _worker_to_a_gated_endpoint(
            sink, store, worker_env, tmp_path, processes
        )
        async with EventClient(settings) as client:
            await client.emit("review.published", {"n": 1})
        # The attempt outlasts its inline budget: the job ends, the attempt goes on.
        await wait_for_async(lambda: _waiting_in_background(settings), what="the hand-off")
        worker.signal(signal.SIGTERM)
        await worker.wait_for_log("attempts_in_background=1")
        assert "in_flight=0" in worker.log
        assert worker.process.poll() is None
        assert "worker stopped" not in worker.log
        gate.set()
        assert await worker.wait_exit() == 0
    log = worker.log
    assert log.index("delivery delivered") < log.index("worker stopped")
    assert "attempts_waited_for=1 attempts_cut_short=0" in log


async def _waiting_in_background(settings: Settings) -> bool:
    """The hand-off recorded, and the job that made it ended (arq's in-progress mark
    gone): only then is the attempt the background's, not the job's."""
    async with open_redis(settings) as client:
        keys = RedisKeys(settings.key_prefix)
        ids = await client.zrange(keys.retries, 0, -1)
        raws = [await client.get(keys.delivery(the_id.decode())) for the_id in ids]
        jobs_running = await client.keys(in_progress_key_prefix + "*")
    return not jobs_running and any(raw and b'"attempt in progress"' in raw for raw in raws)


async def test_when_the_grace_period_ends_the_job_goes_back_to_the_queue(
    settings: Settings,
    store: ConfigStore,
    worker_env: dict[str, str],
    processes: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    async with RecordingSink() as sink:
        gate = sink.on("/stuck", gate=asyncio.Event()).gate
        assert gate is not None
        await add_webhook(store, "stuck", sink.url("/stuck"))
        env = {**worker_env, "SWITCHBOARD_SHUTDOWN_GRACE": "0.3"}
        worker = WorkerProcess(env, tmp_path / "worker.log")
        processes.append(worker)
        await worker.wait_for_log("worker started")
        async with EventClient(settings) as client:
            event_id = await client.emit("review.published", {"n": 1})
        await wait_for(lambda: sink.arrived == 1, what="the delivery to reach the sink")
        worker.signal(signal.SIGTERM)
        assert await worker.wait_exit() == 0
        assert "grace period over" in worker.log
        # Not lost: the job is back in the queue, and the next worker delivers it.
        assert _queued(settings) == 1
        gate.set()
        again = WorkerProcess(worker_env, tmp_path / "again.log")
        processes.append(again)
        received = await sink.wait_for_count(1, timeout=30)
        assert [r.json["id"] for r in received] == [event_id]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_an_unreachable_redis_is_named_without_its_password(
    processes: list[WorkerProcess], tmp_path: Path
) -> None:
    port = _free_port()
    env = {"REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0", "SWITCHBOARD_KEY_PREFIX": "sbtest"}
    worker = WorkerProcess(env, tmp_path / "worker.log")
    processes.append(worker)
    await worker.wait_for_log(
        f"Redis is unreachable at redis://:***@127.0.0.1:{port}/0 (connection refused); retrying"
    )
    assert "hunter2" not in worker.log
    worker.signal(signal.SIGTERM)
    assert await worker.wait_exit() == 0  # stopping while waiting for Redis is clean too


@pytest.mark.slow
async def test_the_worker_waits_for_redis_and_resumes_when_it_is_back(
    processes: list[WorkerProcess], tmp_path: Path
) -> None:
    port = _free_port()
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{port}/0",
        key_prefix="sbtest",
        secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
    )
    env = {"REDIS_URL": settings.effective_redis_url, "SWITCHBOARD_KEY_PREFIX": "sbtest"}
    worker = WorkerProcess(env, tmp_path / "worker.log")
    processes.append(worker)
    await worker.wait_for_log("Redis is unreachable")
    server = EmbeddedRedis(data_dir=tmp_path / "redis", port=port)
    server.start()
    try:
        async with RecordingSink() as sink:
            async with open_redis(settings) as client:
                await add_webhook(ConfigStore.for_settings(client, settings), "w", sink.url("/w"))
            await worker.wait_for_log("worker started", timeout=20)
            await _emit_and_receive(settings, sink, 1)

            # Redis goes away mid-run, and comes back on the same port with its data.
            server.stop()
            await wait_for(lambda: worker.log.count("Redis is unreachable") >= 2, timeout=20)
            server.start()
            await wait_for(lambda: worker.log.count("worker started") >= 2, timeout=20)
            await _emit_and_receive(settings, sink, 2)
    finally:
        server.stop()
    assert worker.process.poll() is None  # never gave up


async def _emit_and_receive(settings: Settings, sink: RecordingSink, count: int) -> None:
    async with EventClient(settings) as client:
        event_id = await client.emit("review.published", {"n": count})
    received = await sink.wait_for_count(count, timeout=20)
    assert received[-1].json["id"] == event_id


async def _run_cli(cwd: Path, env: dict[str, str], *args: str) -> str:
    code, out, err = await run_switchboard(cwd, env, *args)
    assert code == 0, err
    return out.strip()


@pytest.mark.slow
async def test_switchboard_dev_runs_redis_and_a_worker_until_ctrl_c(tmp_path: Path) -> None:
    """The README's newcomer session: dev in one shell; configs add and emit in another."""
    env = {
        k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("SWITCHBOARD_")
    }
    env["PYTHONPATH"] = str(TESTS_DIR)
    # A newcomer's shell: no REDIS_URL and no SWITCHBOARD_* settings at all.
    dev = WorkerProcess(env, tmp_path / "dev.log", "dev", cwd=tmp_path, test_env=False)
    try:
        await dev.wait_for_log("worker started", timeout=30)
        assert f"(embedded, data in {tmp_path.resolve() / '.switchboard' / 'redis'})" in dev.log
        key_file = tmp_path / ".switchboard" / "secret.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert f"secrets: encrypted at rest with the key in {key_file.resolve()}" in dev.log
        assert "outbound: public addresses, and 127.0.0.0/8, ::1/128" in dev.log
        state = orjson.loads((tmp_path / ".switchboard" / "dev.json").read_bytes())
        async with RecordingSink() as sink:
            await _run_cli(
                tmp_path,
                env,
                "configs", "add", "switchboard.webhook", "--name", "demo",
                "--set", f"url={sink.url('/demo')}",
            )  # fmt: skip
            event_id = await _run_cli(tmp_path, env, "emit", "demo.hello", '{"hello": "world"}')
            [received] = await sink.wait_for_count(1, timeout=20)
        assert received.json["id"] == event_id
        assert received.json["data"] == {"hello": "world"}
        dev.signal(signal.SIGINT)
        assert await dev.wait_exit(timeout=30) == 0
        assert "stopped" in dev.log
        assert not (tmp_path / ".switchboard" / "dev.json").exists()
        embedded = redis.Redis.from_url(state["redis_url"])
        with pytest.raises(redis.ConnectionError):
            embedded.ping()  # the embedded Redis stopped with it
        embedded.close()
    finally:
        dev.kill()


def _procfile() -> dict[str, str]:
    lines = (TESTS_DIR.parent / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


async def _health(port: int) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


async def test_the_procfile_lines_work_as_they_stand(
    settings: Settings,
    store: ConfigStore,
    worker_env: dict[str, str],
    processes: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    procfile = _procfile()
    assert set(procfile) == {"worker", "web"}
    port = _free_port()
    web = WorkerProcess(
        worker_env | {"PORT": str(port)}, tmp_path / "web.log", shell_command=procfile["web"]
    )
    worker = WorkerProcess(worker_env, tmp_path / "worker.log", shell_command=procfile["worker"])
    processes += [web, worker]
    await web.wait_for_log(f"web: http://0.0.0.0:{port}/")
    assert await _health(port) == (200, {"status": "ok", "redis": "ok", "queue_depth": 0})
    await worker.wait_for_log("worker started")
    async with RecordingSink() as sink:
        await add_webhook(store, "w", sink.url("/w"))
        await _emit_and_receive(settings, sink, 1)
    for process in (web, worker):
        process.signal(signal.SIGTERM)
        assert await process.wait_exit() == 0


async def test_health_is_503_while_redis_is_unreachable(
    processes: list[WorkerProcess], tmp_path: Path
) -> None:
    port = _free_port()
    env = {"REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0"}
    web = WorkerProcess(env, tmp_path / "web.log", "web", "--port", str(port))
    processes.append(web)
    await web.wait_for_log(f"web: http://127.0.0.1:{port}/")
    assert await _health(port) == (503, {"status": "unavailable", "redis": "connection refused"})
