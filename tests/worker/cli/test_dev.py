"""``switchboard dev`` as a real process: a fresh folder, a killed dev, two devs on one folder."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from support.workers import SWITCHBOARD, run_switchboard

from switchboard.config import EmbeddedRedis, Scope, Settings
from switchboard.testing.waiting import DEFAULT_TIMEOUT, wait_for
from switchboard.worker.cli.dev_state import choose_redis, dev_token

#: Starting dev means starting Python, a redis-server, a worker and the web app.
START_TIMEOUT = 30.0


def _newcomer_env(**extra: str) -> dict[str, str]:
    """A shell with no REDIS_URL and no Switchboard settings (but where redis-server is)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "REDIS_URL"
        and (not key.startswith("SWITCHBOARD_") or key == "SWITCHBOARD_REDIS_SERVER")
    }
    return env | extra


class Dev:
    """``switchboard dev`` in a subprocess, with exactly the environment given."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str = "dev") -> None:
        self.log_path = cwd / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [SWITCHBOARD, "dev"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def started(self) -> None:
        await wait_for(
            lambda: "worker started" in self.log or self.process.poll() is not None,
            timeout=START_TIMEOUT,
            what="switchboard dev to start",
        )
        assert self.process.poll() is None, self.log

    def embedded_redis_url(self) -> str:
        found = re.search(r"^redis: (redis://\S+) \(embedded", self.log, re.MULTILINE)
        assert found is not None, self.log
        return found.group(1)

    async def stop(self) -> int:
        """SIGTERM, as a process manager stops it; its exit status."""
        self.process.send_signal(signal.SIGTERM)
        await wait_for(
            lambda: self.process.poll() is not None, timeout=START_TIMEOUT, what="dev to exit"
        )
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()  # reaped: its pid is no longer alive


@pytest.fixture
def devs() -> Iterator[list[Dev]]:
    started: list[Dev] = []
    yield started
    for dev in started:
        dev.kill()


async def _switchboard(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    return await run_switchboard(cwd, env, *args, timeout=START_TIMEOUT)


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


async def test_dev_with_redis_url_makes_its_data_folder(
    redis_url: str, devs: list[Dev], tmp_path: Path
) -> None:
    """Issue 12, item 4: the secret key went into a folder nobody had made."""
    data_dir = tmp_path / "not-yet"
    env = _newcomer_env(
        REDIS_URL=redis_url, SWITCHBOARD_DATA_DIR=str(data_dir), SWITCHBOARD_KEY_PREFIX="sbtest"
    )
    dev = Dev(env, tmp_path)
    devs.append(dev)
    await dev.started()
    assert "(from REDIS_URL)" in dev.log
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert await dev.stop() == 0


def _printed(log: str, label: str) -> str:
    found = re.search(rf"^{label}: (.+)$", log, re.MULTILINE)
    assert found is not None, log
    return found.group(1)


async def test_dev_makes_and_keeps_the_api_tokens_and_says_where_unless_the_environment_has_them(
    redis_url: str, devs: list[Dev], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data dir"  # a space: the export line quotes the paths
    env = _newcomer_env(
        REDIS_URL=redis_url, SWITCHBOARD_DATA_DIR=str(data_dir), SWITCHBOARD_KEY_PREFIX="sbtest"
    )
    first = Dev(env, tmp_path, "first")
    devs.append(first)
    await first.started()
    # Where each token is, never its value: dev's output is its log.
    assert _printed(first.log, "admin token") == f"in {data_dir / 'admin.token'}"
    assert _printed(first.log, "ingest token") == f"in {data_dir / 'ingest.token'}"
    admin = (data_dir / "admin.token").read_text().strip()
    ingest = (data_dir / "ingest.token").read_text().strip()
    assert admin.startswith("sbt_")
    assert ingest.startswith("sbt_")
    assert admin != ingest
    for name in ("admin.token", "ingest.token"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600
    assert admin not in first.log
    assert ingest not in first.log
    export = _printed(first.log, "tokens, for curl in other shells")
    shell = await asyncio.create_subprocess_exec(
        "bash", "-c", f'{export}; echo "$SWITCHBOARD_ADMIN_TOKEN $SWITCHBOARD_INGEST_TOKEN"',
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(shell.communicate(), START_TIMEOUT)
    assert out.decode() == f"{admin} {ingest}\n"
    assert await first.stop() == 0

    second = Dev(env | {"SWITCHBOARD_ADMIN_TOKEN": "sbt_from-the-environment"}, tmp_path, "second")
    devs.append(second)
    await second.started()
    assert "admin token: from SWITCHBOARD_ADMIN_TOKEN" in second.log
    assert "from-the-environment" not in second.log
    assert (data_dir / "ingest.token").read_text().strip() == ingest  # kept, as it was
    assert ingest not in second.log
    assert await second.stop() == 0


def test_a_command_in_another_shell_takes_devs_tokens_unless_it_has_its_own(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / ".switchboard"
    _pretend_dev_runs(data_dir, redis_url)
    admin = dev_token(data_dir, Scope.ADMIN, create=True)
    ingest = dev_token(data_dir, Scope.INGEST, create=True)
    assert dev_token(data_dir, Scope.ADMIN) == admin  # made once, then read
    monkeypatch.chdir(tmp_path)
    settings = choose_redis(Settings()).settings
    assert settings.admin_token is not None
    assert settings.ingest_token is not None
    assert settings.admin_token.get_secret_value() == admin
    assert settings.ingest_token.get_secret_value() == ingest
    own = choose_redis(Settings(admin_token="sbt_mine")).settings  # type: ignore[arg-type]
    assert own.admin_token is not None
    assert own.admin_token.get_secret_value() == "sbt_mine"


@pytest.mark.slow
async def test_a_killed_dev_takes_its_redis_along_and_the_next_dev_has_the_data(
    devs: list[Dev], tmp_path: Path
) -> None:
    env = _newcomer_env()
    first = Dev(env, tmp_path, "first")
    devs.append(first)
    await first.started()
    url = first.embedded_redis_url()
    state = orjson.loads((tmp_path / ".switchboard" / "dev.json").read_bytes())
    assert state["redis_url"] == url
    assert isinstance(state["redis_pid"], int)
    code, _, err = await _switchboard(
        tmp_path, env,
        "configs", "add", "switchboard.webhook", "--name", "kept",
        "--set", "url=http://127.0.0.1:9/kept",
    )  # fmt: skip
    assert code == 0, err

    first.kill()  # SIGKILL: nothing of dev's own runs any more
    await wait_for(lambda: not _answers(url), what="the killed dev's Redis to stop")

    second = Dev(env, tmp_path, "second")
    devs.append(second)
    await second.started()
    code, out, err = await _switchboard(tmp_path, env, "configs", "list")
    assert code == 0, err
    assert "kept" in out  # the same data, through the new dev's Redis
    assert await second.stop() == 0


async def test_a_second_dev_in_the_same_folder_refuses_naming_the_first(
    devs: list[Dev], tmp_path: Path
) -> None:
    env = _newcomer_env()
    first = Dev(env, tmp_path)
    devs.append(first)
    await first.started()
    url = first.embedded_redis_url()
    began = time.monotonic()
    # A lock wait far beyond the test's deadline: a dev that is alive is refused at once.
    code, _, err = await _switchboard(tmp_path, env | {"SWITCHBOARD_DEV_LOCK_WAIT": "600"}, "dev")
    assert code == 1
    data_dir = (tmp_path / ".switchboard").resolve()
    message = " ".join(err.split())  # as one line, however click wraps it
    assert (
        f"switchboard dev is already running for {data_dir} "
        f"(pid {first.process.pid}, Redis at {url})"
    ) in message
    assert "commands in other shells already use its Redis" in message
    assert time.monotonic() - began < DEFAULT_TIMEOUT  # no waiting on a dev that is alive
    assert _answers(url)  # the first is untouched
    assert await first.stop() == 0


async def test_a_redis_left_by_a_dead_dev_is_named_with_how_to_stop_it(tmp_path: Path) -> None:
    """As a platform without a parent-death signal leaves it: dev gone, its Redis still up."""
    data_dir = (tmp_path / ".switchboard").resolve()
    with EmbeddedRedis(data_dir=data_dir / "redis") as orphan:
        gone = await asyncio.create_subprocess_exec("true")
        await gone.wait()
        state = {"pid": gone.pid, "redis_url": orphan.url, "redis_pid": orphan.pid}
        (data_dir / "dev.json").write_bytes(orjson.dumps(state))
        began = time.monotonic()
        lock_wait = 0.5
        env = _newcomer_env(SWITCHBOARD_DEV_LOCK_WAIT=str(lock_wait))
        code, _, err = await _switchboard(tmp_path, env, "dev")
        waited = time.monotonic() - began
        assert code == 1
        message = " ".join(err.split())
        assert f"The switchboard dev that used {data_dir} (pid {gone.pid}) is gone" in message
        assert f"its redis-server (pid {orphan.pid}) is still running" in message
        assert f"`kill {orphan.pid}`" in message
        # It gave the orphan time to stop (as one does right after a SIGKILL), not forever.
        assert lock_wait <= waited < lock_wait + DEFAULT_TIMEOUT
        assert _answers(orphan.url)


# -- other shells find dev's Redis ------------------------------------------------------


def _pretend_dev_runs(data_dir: Path, redis_url: str) -> None:
    """What a running dev leaves: its (living) pid, its Redis's URL."""
    data_dir.mkdir(parents=True)
    state = {"pid": os.getpid(), "redis_url": redis_url}
    (data_dir / "dev.json").write_bytes(orjson.dumps(state))


def test_a_command_in_a_subfolder_finds_devs_redis_above(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_dev_runs(tmp_path / ".switchboard", redis_url)
    deep = tmp_path / "src" / "app"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)

    choice = choose_redis(Settings())

    assert choice.settings.redis_url == redis_url
    assert choice.source == f"switchboard dev ({tmp_path / '.switchboard' / 'dev.json'})"
    result = subprocess.run(
        [SWITCHBOARD, "status"], env=_newcomer_env(), cwd=deep, capture_output=True, text=True,
        timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"redis:             {redis_url}" in result.stdout


def test_with_no_dev_and_no_redis_url_the_default_says_so_and_how_to_point_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    choice = choose_redis(Settings())
    assert choice.settings.effective_redis_url == "redis://localhost:6379/0"
    assert choice.source == (
        "the default: REDIS_URL is unset and no switchboard dev runs for .switchboard here or above"
    )
    assert "Set REDIS_URL" in choice.hint
    assert "SWITCHBOARD_DATA_DIR" in choice.hint
    absolute = choose_redis(Settings(data_dir=tmp_path / "data"))
    assert str(tmp_path / "data") in absolute.source


def test_a_dev_that_is_gone_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / ".switchboard"
    _pretend_dev_runs(data_dir, "redis://127.0.0.1:1/0")
    state = orjson.loads((data_dir / "dev.json").read_bytes())
    (data_dir / "dev.json").write_bytes(orjson.dumps({**state, "pid": 2**22 + 12345}))
    monkeypatch.chdir(tmp_path)
    assert choose_redis(Settings()).settings.redis_url is None
