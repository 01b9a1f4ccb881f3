"""Settings from the environment, and the Redis connection's errors."""

from __future__ import annotations

import pytest
import redis.exceptions

from switchboard.config import (
    EmbeddedRedis,
    RedisUnavailableError,
    Settings,
    SettingsError,
    load_settings,
    lost_redis,
    open_redis,
    redact_url,
)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://example.test:6380/2")
    monkeypatch.setenv("SWITCHBOARD_KEY_PREFIX", "acme")
    monkeypatch.setenv("SWITCHBOARD_INTEGRATIONS", "a.B, c.D ,")
    monkeypatch.setenv("SWITCHBOARD_CONFIG_POLL_INTERVAL", "0.25")
    settings = load_settings()
    assert settings.effective_redis_url == "redis://example.test:6380/2"
    assert settings.key_prefix == "acme"
    assert settings.integrations == ("a.B", "c.D")
    assert settings.config_poll_interval == 0.25


def test_settings_are_immutable_values() -> None:
    settings = Settings(redis_url="redis://x")
    with pytest.raises(ValueError, match="frozen"):
        settings.key_prefix = "other"  # type: ignore[misc]


def test_default_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SWITCHBOARD_REDIS_URL", raising=False)
    assert load_settings().effective_redis_url == "redis://localhost:6379/0"


def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CONFIG_POLL_INTERVAL", "-1")
    with pytest.raises(SettingsError, match="SWITCHBOARD_CONFIG_POLL_INTERVAL"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:hunter2@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:hunter2@host/0", "redis://user:***@host/0"),
        ("rediss://host:6380", "rediss://host:6380"),
        ("redis://u:p@ss@host/0", "redis://u:***@host/0"),
        ("redis://:hunter2@127.0.0.1:notaport/0", "redis://:***@127.0.0.1:notaport/0"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


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
