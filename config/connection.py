"""The Redis connection: opened with ``async with``, checked once, named safely in errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import redis.asyncio as aioredis
import redis.exceptions

from .errors import RedisUnavailableError, SettingsError
from .settings import Settings

__all__ = [
    "REDIS_DOWN_ERRORS",
    "Redis",
    "SyncRedis",
    "describe_redis_error",
    "lost_redis",
    "open_redis",
    "redact_url",
    "redis_client",
    "sync_redis_client",
]

#: A client that returns bytes. Switchboard decodes what it needs itself:
#: orjson parses bytes directly, and most values are never decoded at all.
Redis = aioredis.Redis
#: The same for code with no event loop (``SyncEventClient``).
SyncRedis = redis.Redis

#: What redis-py raises when the server is not there (or went away).
REDIS_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


#: ``scheme://user:PASSWORD@``: a regex, not urlsplit, so a malformed URL
#: (a non-numeric port, say) is still redacted instead of raising.
_PASSWORD_IN_URL = re.compile(r"^(?P<head>[^:/]*://[^:/@]*:)[^/]*@")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: safe for logs and messages."""
    # Greedy up to the authority's last "@": an unencoded "@" in a password stays hidden.
    return _PASSWORD_IN_URL.sub(r"\g<head>***@", url, count=1)


def redis_client(settings: Settings) -> Redis:
    """A client for ``settings``' Redis; it connects on first use (``open_redis`` checks first)."""
    url = settings.effective_redis_url
    try:
        client: Redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=settings.redis_connect_timeout, health_check_interval=30
        )
    except ValueError as exc:  # redis-py's word for a malformed URL
        raise _malformed_url(url, exc) from None
    return client


def sync_redis_client(settings: Settings) -> SyncRedis:
    """``redis_client`` for code with no event loop."""
    url = settings.effective_redis_url
    try:
        return redis.Redis.from_url(
            url, socket_connect_timeout=settings.redis_connect_timeout, health_check_interval=30
        )
    except ValueError as exc:
        raise _malformed_url(url, exc) from None


def _malformed_url(url: str, exc: ValueError) -> SettingsError:
    return SettingsError(f"REDIS_URL {redact_url(url)} is not a valid Redis URL: {exc}")


@asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[Redis]:
    """Connect to ``settings``' Redis and check it answers.

    Raises ``RedisUnavailableError`` (with the redacted URL) when it does not.
    """
    url = settings.effective_redis_url
    client = redis_client(settings)
    try:
        try:
            await client.ping()
        except REDIS_DOWN_ERRORS as exc:
            raise RedisUnavailableError(redact_url(url), describe_redis_error(exc)) from None
        yield client
    finally:
        await client.aclose()


def lost_redis(exc: BaseException) -> BaseException | None:
    """The Redis-down error that ``exc`` is, or stands for; ``None`` if it is another error.

    redis-py reports a connection lost while a transaction WATCHes keys (arq claims each
    job that way) as a ``WatchError``, raised while handling the ``ConnectionError``.
    """
    if isinstance(exc, REDIS_DOWN_ERRORS):
        return exc
    if isinstance(exc, redis.exceptions.WatchError) and isinstance(
        exc.__context__, REDIS_DOWN_ERRORS
    ):
        return exc.__context__
    return None


def describe_redis_error(exc: BaseException) -> str:
    """A short reason without the URL (redis-py's messages can contain it)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError) or any(
        marker in text for marker in ("Connection refused", "Error 111 ", "Connect call failed")
    ):
        return "connection refused"
    if isinstance(exc, (TimeoutError, redis.exceptions.TimeoutError)):
        return "timed out"
    if "Authentication" in text or "NOAUTH" in text or "WRONGPASS" in text:
        return "authentication failed"
    return type(exc).__name__
