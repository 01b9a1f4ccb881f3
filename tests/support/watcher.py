"""A separate process that follows the configuration store, for the cross-process tests.

Run as ``python -m support.watcher`` with REDIS_URL, SWITCHBOARD_KEY_PREFIX and
SWITCHBOARD_CONFIG_POLL_INTERVAL set. Prints one JSON line per thing that
happens: ``ready``, ``change`` (after each applied change), ``initialize``,
``shutdown``; the wall-clock time ``t`` of each lets the test measure delays.
Exits on end of standard input.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson

from switchboard.config import ConfigCache, ConfigStore, load_settings, open_redis
from switchboard.integrations import Event, Integration, IntegrationManager


def emit(kind: str, **fields: Any) -> None:
    sys.stdout.write(orjson.dumps({"event": kind, "t": time.time(), **fields}).decode() + "\n")
    sys.stdout.flush()


class ReportingIntegration(Integration):
    integration_id = "tests.reporting"

    def initialize(self) -> None:
        emit("initialize")
        self.subscribe("review.*", self.on_event)

    def shutdown(self) -> None:
        emit("shutdown")

    async def on_event(self, event: Event) -> None:
        pass


async def main() -> None:
    settings = load_settings()
    manager = IntegrationManager()
    manager.register(ReportingIntegration)
    async with open_redis(settings) as redis:
        store = ConfigStore.for_settings(redis, settings)
        cache = ConfigCache(store, redis, poll_interval=settings.config_poll_interval)
        async with cache:
            with manager.running(cache):
                # Added after the manager's own listener, so it reports the applied state.
                cache.add_listener(
                    lambda changes: emit(
                        "change",
                        generation=changes.generation,
                        enabled=sorted(c.id for c in manager.get_configs("tests.reporting")),
                    )
                )
                emit("ready", generation=cache.generation)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
