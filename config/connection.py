"""The Redis connection: opened with ``async with``, checked once, named safely in errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import unquote_plus

import redis
import redis.asyncio as aioredis
import redis.exceptions

from .errors import RedisUnavailableError, SettingsError
from .pipelines import SafeRedis
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

#: What redis-py raises when the server is not there (or went away): it wraps every socket
#: error in these. Not ``OSError`` itself: a file that cannot be written, or a closed
#: stdout, is not Redis being down, and must not be reported (or waited out) as if it were.
REDIS_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


#: Query parameters whose values are credentials (redis-py passes every parameter to the
#: connection, ``password`` and ``ssl_password`` among them); matched on the decoded name.
_CREDENTIAL_NAME = re.compile(r"pass|secret|token|auth|cred|key", re.IGNORECASE)
_MASK = "***"
#: One ``name=value`` of a query: "&" separates them, and ";" did in older parsers.
_PARAMETER = re.compile(r"[^&;]+")


def redact_url(url: str) -> str:
    """``url`` with every credential replaced by ``***``: safe for logs and messages.

    Covers each form redis-py reads a credential from: ``user:PASSWORD@``, a lone
    ``PASSWORD@``, and query parameters (``?password=``, ``?ssl_password=``, any
    spelling that decodes to a credential's name). A URL a credential made malformed
    (an unencoded ``/``, ``?``, ``#`` or ``@`` in a password) is redacted as well,
    which can hide more than the credential, never less.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _MASK if "@" in url or "=" in url else url
    # The userinfo ends at the last "@" before the query's first "=": a password may hold
    # "/", "?", "#" or "@" unencoded, a query value may hold "@".
    query_at = rest.find("?")
    value_at = rest.find("=", query_at) if query_at >= 0 else -1
    at = rest.rfind("@", 0, value_at if value_at >= 0 else len(rest))
    userinfo = ""
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        plain_user = colon and not any(c in user for c in "/?#")
        userinfo = f"{user}:{_MASK}@" if plain_user else f"{_MASK}@"
        rest = rest[at + 1 :]
    rest, hash_, _fragment = rest.partition("#")  # redis-py ignores fragments; "#" cut it
    authority_path, question, query = rest.partition("?")
    authority, slash, path = authority_path.partition("/")
    host, colon, port = authority.rpartition(":")
    if not userinfo and colon and port and not port.isdigit() and not authority.endswith("]"):
        authority = f"{host}:{_MASK}"  # not a port: a password cut short by "/", "?" or "#"
    shown = f"{scheme}://{userinfo}{authority}{slash}{path}"
    if question:
        shown += "?" + _PARAMETER.sub(lambda match: _redact_parameter(match[0]), query)
    return shown + (f"#{_MASK}" if hash_ else "")


def _redact_parameter(pair: str) -> str:
    raw_name, equals, value = pair.partition("=")
    name = raw_name
    for _ in range(3):  # a name encoded twice decodes to the same thing for some parsers
        name = unquote_plus(name)
    if _CREDENTIAL_NAME.search(name) or "@" in raw_name or "@" in value:
        return f"{raw_name}={_MASK}" if equals else _MASK
    return pair


def redis_client(settings: Settings) -> Redis:
    """A client for ``settings``' Redis; it connects on first use (``open_redis`` checks first)."""
    url = settings.effective_redis_url
    try:
        # Imported here: an app's sync client (SyncEventClient) never needs it.
        from .checkout import client_for

        # SafeRedis: a pipeline cancelled while it resets still gives its connection back.
        client: Redis = client_for(SafeRedis, settings)
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
