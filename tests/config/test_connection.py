"""The Redis connection: opened and checked, its errors, its URL never shown with a password."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.exceptions
from support.workers import SWITCHBOARD, WorkerProcess

from switchboard.config import (
    EmbeddedRedis,
    RedisUnavailableError,
    Settings,
    find_redis_server,
    lost_redis,
    open_redis,
    redact_url,
)
from switchboard.testing.waiting import wait_for


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:hunter2@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:hunter2@host/0", "redis://user:***@host/0"),
        ("rediss://host:6380", "rediss://host:6380"),
        ("redis://u:p@ss@host/0", "redis://u:***@host/0"),
        ("redis://:hunter2@127.0.0.1:notaport/0", "redis://:***@127.0.0.1:notaport/0"),
        # A lone userinfo: redis-py sends it as the username; it may well be a password.
        ("redis://hunter2@host/0", "redis://***@host/0"),
        # The query forms redis-py reads (every parameter becomes a connection argument).
        ("redis://host:6379/0?password=hunter2", "redis://host:6379/0?password=***"),
        ("redis://host/0?db=1&password=hunter2&x=1", "redis://host/0?db=1&password=***&x=1"),
        ("rediss://host/0?ssl_password=hunter2", "rediss://host/0?ssl_password=***"),
        ("redis://host/0?pass%77ord=hunter2", "redis://host/0?pass%77ord=***"),
        ("redis://host/0?PASSWORD=hunter2", "redis://host/0?PASSWORD=***"),
        ("redis://host/0?db=0;password=hunter2", "redis://host/0?db=0;password=***"),
        ("unix:///run/redis.sock?password=hunter2", "unix:///run/redis.sock?password=***"),
        ("unix://:hunter2@/run/redis.sock", "unix://:***@/run/redis.sock"),
        ("redis://[::1]:6379/0?password=p@ss", "redis://[::1]:6379/0?password=***"),
        ("redis://[::1]/0", "redis://[::1]/0"),
        # Passwords with unencoded separators, which cut the URL where a parser looks.
        ("redis://:a/b@host/0", "redis://:***@host/0"),
        ("redis://:a?b@host/0", "redis://:***@host/0"),
        ("redis://:a#b@host/0", "redis://:***@host/0"),
        ("redis://:abc==@host/0", "redis://:***@host/0"),
        ("redis://:a?b=c@host/0", "redis://:***?b=***"),
        ("redis://host/0?password=a#b", "redis://host/0?password=***#***"),
        ("redis://host:6379/0?db=1", "redis://host:6379/0?db=1"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "redis://:{pw}@h/0",
        "redis://u:{pw}@h/0",
        "redis://{pw}@h/0",
        "redis://h/0?password={pw}",
        "redis://h/0?ssl_password={pw}&db=2",
        "rediss://u:{pw}@h:6380/0?password={pw}",
        "unix:///tmp/r.sock?db=0&password={pw}",
    ],
)
@pytest.mark.parametrize("password", ["hunter2", "p@ss", "a=b==", "x%2Fy", "a/b", "s?x"])
def test_no_credential_redis_py_would_use_survives_redaction(url: str, password: str) -> None:
    from redis.connection import parse_url

    the_url = url.format(pw=password)
    try:
        used = parse_url(the_url)
    except ValueError:
        used = {}
    shown = redact_url(the_url)
    for argument in ("password", "ssl_password"):
        if credential := used.get(argument):
            assert credential not in shown, f"{argument} {credential!r} shown in {shown!r}"
    assert password not in shown


async def test_unreachable_redis_is_one_clear_error_without_the_password() -> None:
    with EmbeddedRedis() as server:
        port = server.port
    # The server is gone: its port refuses connections.
    settings = Settings(redis_url=f"redis://:hunter2@127.0.0.1:{port}/0", redis_connect_timeout=2)
    with pytest.raises(RedisUnavailableError) as caught:
        async with open_redis(settings):
            pass
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "connection refused" in message
    assert "hunter2" not in message


@pytest.fixture
def redis_with_a_password() -> Iterator[int]:
    """A redis-server that wants ``PASSWORD``; yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--requirepass", PASSWORD]  # fmt: skip
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port, password=PASSWORD)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False

    try:
        asyncio.run(wait_for(answers, what="redis-server with a password"))
        yield port
    finally:
        client.close()
        server.terminate()
        server.wait()


PASSWORD = "S3cret-pw"


async def test_a_password_in_the_query_is_never_printed_or_logged(
    redis_with_a_password: int, tmp_path: Path
) -> None:
    """Neither at start nor in the retry lines of an outage."""
    url = f"redis://127.0.0.1:{redis_with_a_password}/0?password={PASSWORD}"
    worker = WorkerProcess({"REDIS_URL": url}, tmp_path / "worker.log")
    try:
        await worker.wait_for_log("worker started")
        assert f"127.0.0.1:{redis_with_a_password}/0?password=***" in worker.log
    finally:
        worker.kill()
    assert PASSWORD not in worker.log

    worker = WorkerProcess({"REDIS_URL": _unreachable_url()}, tmp_path / "down.log")
    try:
        await wait_for(lambda: worker.log.count("Redis is unreachable") >= 2, what="retries")
    finally:
        worker.kill()
    assert PASSWORD not in worker.log


def _unreachable_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{closed_port}/0?db=0&password={PASSWORD}"


def test_a_password_in_the_query_is_not_in_a_cli_error() -> None:
    emitted = subprocess.run(
        [SWITCHBOARD, "emit", "a.b", "{}"],
        env={**os.environ, "REDIS_URL": _unreachable_url()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert emitted.returncode == 1
    assert "Redis is unreachable" in emitted.stderr
    assert PASSWORD not in emitted.stderr + emitted.stdout


async def test_open_redis_answers(settings: Settings) -> None:
    async with open_redis(settings) as client:
        assert await client.ping()


def _watch_error_raised_while_handling(cause: Exception) -> redis.exceptions.WatchError:
    """As redis-py raises it when a WATCHing transaction's connection fails."""
    error = redis.exceptions.WatchError("A ConnectionError occurred on while watching")
    error.__context__ = cause  # what `raise` inside `except` sets
    return error


def test_a_watch_error_from_a_lost_connection_means_redis_is_down() -> None:
    """arq claims jobs under WATCH: Redis going away there must be waited out, not fatal."""
    lost = redis.exceptions.ConnectionError("Connection closed by server.")
    assert lost_redis(_watch_error_raised_while_handling(lost)) is lost
    assert lost_redis(lost) is lost
    assert lost_redis(redis.exceptions.WatchError("Watched variable changed.")) is None
    assert lost_redis(_watch_error_raised_while_handling(ValueError("x"))) is None
